from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api_keys", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="can_export",
            field=models.BooleanField(default=False, verbose_name="may export"),
        ),
    ]
