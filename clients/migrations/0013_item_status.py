"""The stored payment status of every payable item (clients.models_payments.ItemStatus), filled for the
office's existing items by the one service that writes it (clients.item_statuses.refresh_item_statuses).

The backfill runs today's service code: it depends on the latest migrations of the models that code reads
(clients 0012, accounts 0005). Should a later migration change those models, move the backfill into a
management command run after ``migrate_offices`` instead.
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    # The service, not the historical models: the rows must be exactly what the one status rule says.
    from clients.item_statuses import refresh_item_statuses  # noqa: PLC0415 - only when the migration runs

    refresh_item_statuses(None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_retention_and_privacy_audit'),
        ('clients', '0012_bank_statements'),
    ]

    operations = [
        migrations.CreateModel(
            name='ItemStatus',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.DateField()),
                ('what', models.CharField(max_length=10)),
                ('payer_key', models.CharField(blank=True, default='', max_length=11)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('due_date', models.DateField(blank=True, null=True)),
                ('state', models.CharField(choices=[('nothing', 'nothing to pay'), ('due', 'to pay'), ('paid_by_client', 'paid per the client'), ('settled', 'settled by the office'), ('history', 'settled without payment confirmation')], max_length=16)),
                ('paid', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                ('by_office', models.BooleanField(default=False)),
                ('left_to_pay', models.DecimalField(decimal_places=2, max_digits=14)),
                ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clients.company')),
                ('figure', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clients.figure')),
            ],
            options={
                'indexes': [models.Index(fields=['period', 'company'], name='item_status_period_company')],
                'constraints': [models.UniqueConstraint(fields=('company', 'period', 'what', 'payer_key'), name='item_status_unique')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
