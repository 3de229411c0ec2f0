"""The security event log becomes the audit trail (issue 12): a sequence, prev_hash and SM3 hash
on every row (the rows already written are chained here, oldest first), what an event is about
(object_type / object_id / object_repr), the export permission, and on PostgreSQL the trigger
refusing UPDATE and DELETE. An account's deletion no longer touches its rows (DO_NOTHING, no
constraint: SET_NULL would be an UPDATE).

Depends on 0011: another branch adds a 0012 (the dependency is fixed when they meet).
"""
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


def chain_existing_rows(apps, schema_editor):
    from workflow.audit_chain import FIELDS, GENESIS, canonical_detail, row_hash

    SecurityEvent = apps.get_model("workflow", "SecurityEvent")
    prev = GENESIS
    for sequence, event in enumerate(SecurityEvent.objects.order_by("created_at", "id").iterator(chunk_size=2000), start=1):
        event.sequence = sequence
        event.prev_hash = prev
        event.detail = canonical_detail(event.detail)
        event.hash = row_hash({name: getattr(event, name) for name in FIELDS}, prev)
        event.save(update_fields=["sequence", "prev_hash", "hash", "detail"])
        prev = event.hash


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0013_second_factor_and_admin_duties'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='securityevent',
            options={'ordering': ['-sequence'], 'permissions': [('export_securityevent', '可以导出审计记录')], 'verbose_name': '安全事件', 'verbose_name_plural': '安全事件'},
        ),
        migrations.AddField(
            model_name='securityevent',
            name='hash',
            field=models.CharField(default='', max_length=64, verbose_name='哈希'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='securityevent',
            name='object_id',
            field=models.CharField(blank=True, max_length=64, verbose_name='对象编号'),
        ),
        migrations.AddField(
            model_name='securityevent',
            name='object_repr',
            field=models.CharField(blank=True, max_length=200, verbose_name='对象'),
        ),
        migrations.AddField(
            model_name='securityevent',
            name='object_type',
            field=models.CharField(blank=True, max_length=100, verbose_name='对象类型'),
        ),
        migrations.AddField(
            model_name='securityevent',
            name='prev_hash',
            field=models.CharField(default='', max_length=64, verbose_name='前一条哈希'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='securityevent',
            name='sequence',
            field=models.BigIntegerField(null=True, verbose_name='序号'),
        ),
        migrations.AlterField(
            model_name='securityevent',
            name='kind',
            field=models.CharField(choices=[('login_succeeded', '登录成功'), ('login_failed', '登录失败'), ('logged_out', '退出登录'), ('locked_out', '账号锁定'), ('unlocked', '解除锁定'), ('password_changed', '修改密码'), ('password_reset', '管理员设置密码'), ('password_change_required', '要求修改密码'), ('session_expired', '会话超时'), ('token_created', '创建令牌'), ('token_revoked', '吊销令牌'), ('case_status_changed', '案件状态变更'), ('permission_changed', '权限变更'), ('membership_granted', '授予角色'), ('membership_revoked', '撤销角色'), ('data_exported', '导出数据'), ('personal_data_revealed', '查看个人信息'), ('audit_purged', '清理审计记录')], max_length=32, verbose_name='类型'),
        ),
        migrations.AlterField(
            model_name='securityevent',
            name='user',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='用户'),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='securityevent',
            name='sequence',
            field=models.BigIntegerField(unique=True, verbose_name='序号'),
        ),
        migrations.AddIndex(
            model_name='securityevent',
            index=models.Index(fields=['object_repr', 'created_at'], name='securityevent_object_idx'),
        ),
        migrations.AddIndex(
            model_name='securityevent',
            index=models.Index(fields=['object_type', 'object_id'], name='securityevent_object_id_idx'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='securityevent',
            trigger=pgtrigger.compiler.Trigger(name='securityevent_append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='2a03f947a5800f7662580def15142a152d15544f', operation='UPDATE OR DELETE', pgid='pgtrigger_securityevent_append_only_7b720', table='workflow_securityevent', when='BEFORE')),
        ),
    ]
