"""Template filters for personal data: ``{{ value|masked_phone }}``, ``{{ value|masked_id }}``."""

from django import template

from sciplan.core.masking import mask_email, mask_id_number, mask_phone

register = template.Library()
register.filter("masked_phone", mask_phone)
register.filter("masked_id", mask_id_number)
register.filter("masked_email", mask_email)
