"""API tokens get a life: an expiry (tokens made before get 90 days from this migration, so no
script stops at once), when and by whom and why they were revoked, and a unique prefix that
names them. A token revoked before keeps being revoked, from the moment of this migration."""

import django.db.models.deletion
import fangkong.accounts.models
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def revoked_flag_to_time(apps, schema_editor):  # type: ignore[no-untyped-def]
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(revoked=True).update(revoked_at=timezone.now())


def revoked_time_to_flag(apps, schema_editor):  # type: ignore[no-untyped-def]
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(revoked_at__isnull=False).update(revoked=True)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='apitoken',
            options={'ordering': ('-created_at', '-id'), 'verbose_name': 'API token', 'verbose_name_plural': 'API tokens'},
        ),
        migrations.AddField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(default=fangkong.accounts.models.token_expiry, verbose_name='expires'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='revoke_reason',
            field=models.CharField(blank=True, choices=[('user', 'Revoked by its user'), ('admin', 'Revoked by the security administrator'), ('console', 'Revoked from the server console'), ('password', 'Password changed'), ('deactivated', 'Account deactivated')], max_length=12, verbose_name='why revoked'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='revoked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='revoked at'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='revoked_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='revoked by'),
        ),
        migrations.RunPython(revoked_flag_to_time, revoked_time_to_flag),
        migrations.RemoveField(
            model_name='apitoken',
            name='revoked',
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='last_used_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last used'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='prefix',
            field=models.CharField(max_length=12, unique=True, verbose_name='prefix'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
    ]
