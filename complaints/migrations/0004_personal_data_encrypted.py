"""The citizen's phone, ID number, e-mail and contact address become SM4-encrypted
columns (text: ciphertext is longer than the plaintext), the phone gets its blind
index (with the (index, received) index that duplicate detection reads), and the
history of complaints stops copying them (their historical columns are dropped,
plaintext included). 0005 encrypts the rows already there."""

import workflow.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0003_task_supervision_state'),
        ('workflow', '0015_securityevent_kinds_merged'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='complaint',
            name='complaint_phone_recv_idx',
        ),
        migrations.RemoveField(
            model_name='historicalcomplaint',
            name='citizen_address',
        ),
        migrations.RemoveField(
            model_name='historicalcomplaint',
            name='citizen_email',
        ),
        migrations.RemoveField(
            model_name='historicalcomplaint',
            name='citizen_id_number',
        ),
        migrations.RemoveField(
            model_name='historicalcomplaint',
            name='citizen_phone',
        ),
        migrations.AddField(
            model_name='complaint',
            name='citizen_phone_index',
            field=workflow.fields.BlindIndexField(kind='phone', source='citizen_phone'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='citizen_address',
            field=workflow.fields.EncryptedCharField(blank=True, max_length=200, verbose_name='联系地址'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='citizen_email',
            field=workflow.fields.EncryptedCharField(blank=True, max_length=254, verbose_name='电子邮箱'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='citizen_id_number',
            field=workflow.fields.EncryptedCharField(blank=True, max_length=18, verbose_name='身份证号'),
        ),
        migrations.AlterField(
            model_name='complaint',
            name='citizen_phone',
            field=workflow.fields.EncryptedCharField(blank=True, max_length=32, verbose_name='电话'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['citizen_phone_index', 'received_at'], name='complaint_phone_recv_idx'),
        ),
    ]
