"""MySQL and MariaDB have no partial unique index, so Django leaves
``one_active_therapist_per_client`` out there (models.W036). The same rule, enforced by the
database: a virtual column holding the client of an active link only, under a unique index of the
constraint's name. Nothing happens on other backends, which have the constraint itself."""

from django.db import migrations

TABLE = "mentara_clienttherapist"
ADD = f"""
ALTER TABLE {TABLE}
    ADD COLUMN active_client_id bigint
        AS (CASE WHEN status = 'active' THEN client_id END) VIRTUAL,
    ADD UNIQUE INDEX one_active_therapist_per_client (active_client_id)
"""
REMOVE = f"ALTER TABLE {TABLE} DROP INDEX one_active_therapist_per_client, DROP COLUMN active_client_id"


def on_mysql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "mysql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("mentara", "0001_initial")]

    # MySQL commits DDL at once: no transaction around it.
    operations = [migrations.RunPython(on_mysql(ADD), on_mysql(REMOVE), atomic=False)]
