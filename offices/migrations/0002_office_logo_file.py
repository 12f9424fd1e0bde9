from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("offices", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="office",
            name="logo_file",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="logo file"),
        ),
    ]
