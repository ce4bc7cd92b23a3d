# The permission the admin's "Adjust credit balance" needs (users.admin.UserAdmin), declared
# on User.Meta.permissions; and the admin's name for RevenueCat events.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0003_credit_ledger'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='user',
            options={
                'ordering': ['-created_at'],
                'permissions': [('adjust_credit_balance', 'Can adjust credit balances')],
            },
        ),
        migrations.AlterModelOptions(
            name='revenuecatevent',
            options={'ordering': ['-received_at'], 'verbose_name': 'RevenueCat event'},
        ),
    ]
