# The required kinds are derived from attachment_specs (Call.required_attachments), which 0002 filled
# from this column; one record of the attachment rules is kept, not two.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('calls', '0002_calls_setup'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='call',
            name='required_attachments',
        ),
    ]
