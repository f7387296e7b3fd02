"""Template filters for personal data: ``{{ value|masked_phone }}``, ``{{ value|masked_id }}``, and unit
credit codes as the viewer may see them: ``{{ unit.uscc|uscc_for:user }}``."""

from django import template

from sciplan.core.masking import mask_email, mask_id_number, mask_phone, uscc_for

register = template.Library()
register.filter("masked_phone", mask_phone)
register.filter("masked_id", mask_id_number)
register.filter("masked_email", mask_email)
register.filter("uscc_for", lambda value, user: uscc_for(user, value))
