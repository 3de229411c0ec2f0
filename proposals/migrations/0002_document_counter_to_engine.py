"""Document-number series moved to the engine (workflow.DocumentCounter): copy
each department's reply-letter counters there, then drop the proposal table."""
from django.db import migrations


def copy_counters(apps, schema_editor):
    Old = apps.get_model("proposals", "DocumentCounter")
    New = apps.get_model("workflow", "DocumentCounter")
    for row in Old.objects.all():
        counter, _created = New.objects.get_or_create(department_id=row.department_id, series="letter", year=row.year)
        if row.last > counter.last:
            counter.last = row.last
            counter.save(update_fields=["last"])


def copy_back(apps, schema_editor):
    Old = apps.get_model("proposals", "DocumentCounter")
    New = apps.get_model("workflow", "DocumentCounter")
    for row in New.objects.filter(series="letter"):
        Old.objects.update_or_create(department_id=row.department_id, year=row.year, defaults={"last": row.last})


class Migration(migrations.Migration):

    dependencies = [
        ("proposals", "0001_initial"),
        ("workflow", "0005_engine_registry_document_counter"),
    ]

    operations = [
        migrations.RunPython(copy_counters, copy_back),
        migrations.DeleteModel(name="DocumentCounter"),
    ]
