"""Workflow integration: the post-migrate hook, the Python API, safety guards, progress, output."""

from __future__ import annotations

import io
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.signals import post_migrate

import mentara_seed
from mentara_seed import pipeline
from mentara_seed.signals import last_migrated_app, seed_after_migrate
from project.mentara.models import Client, Post, User

from .conftest import NOW, table_dump

pytestmark = pytest.mark.django_db(transaction=True)

ISO_NOW = NOW.isoformat()


@pytest.fixture
def hook_on(settings):
    settings.DEBUG = True
    settings.MENTARA_SEED = {"ON_MIGRATE": True, "MODE": "light"}
    return settings


def migrate(verbosity: int = 1) -> str:
    out = io.StringIO()
    call_command("migrate", verbosity=verbosity, interactive=False, stdout=out)
    return out.getvalue()


class TestPostMigrateHook:
    def test_migrate_seeds_once_with_a_one_line_summary(self, hook_on):
        with mock.patch.object(pipeline, "seed_database", wraps=pipeline.seed_database) as seeding:
            output = migrate()
        assert seeding.call_count == 1
        assert seeding.call_args.kwargs["database"] == "default"
        summary = [line for line in output.splitlines() if line.startswith("mentara-seed:")]
        assert len(summary) == 1
        assert "light mode on default" in summary[0] and "satisfied" in summary[0]
        assert Client.objects.count() >= 8

    def test_a_second_migrate_adds_nothing(self, hook_on):
        migrate()
        before = table_dump()
        output = migrate()
        assert "added 0 rows" in output
        assert table_dump() == before

    def test_verbosity_0_is_silent_and_2_prints_the_report(self, hook_on):
        assert "mentara-seed" not in migrate(verbosity=0)
        assert User.objects.exists()
        assert "SEEDING REPORT" in migrate(verbosity=2)

    def test_never_when_debug_is_off(self, hook_on):
        hook_on.DEBUG = False
        migrate()
        assert not User.objects.exists()

    def test_off_unless_enabled(self, settings):
        settings.DEBUG = True
        settings.MENTARA_SEED = {"MODE": "light"}
        migrate()
        assert not User.objects.exists()

    def test_connected_once_whatever_ready_does(self, hook_on):
        post_migrate.connect(seed_after_migrate, dispatch_uid="mentara_seed.seed_after_migrate")
        with mock.patch.object(pipeline, "seed_database", wraps=pipeline.seed_database) as seeding:
            migrate()
        assert seeding.call_count == 1

    def test_not_on_a_database_the_routers_keep_the_models_off(self, hook_on):
        class NoMentara:
            def allow_migrate(self, db, app_label, **hints):
                return False if app_label == "mentara" else None

        hook_on.DATABASE_ROUTERS = [NoMentara()]
        with mock.patch.object(pipeline, "seed_database") as seeding:
            post_migrate.send(
                sender=last_migrated_app(), app_config=last_migrated_app(), using="default"
            )
        seeding.assert_not_called()

    def test_a_seeding_error_never_breaks_migrate(self, hook_on):
        hook_on.MENTARA_SEED = {"ON_MIGRATE": True, "MODE": "light", "SCALE": 0}
        output = migrate()
        assert "seeding skipped" in output
        assert not User.objects.exists()


class TestPythonApi:
    def test_seed_and_audit_return_the_json_contract(self):
        report = mentara_seed.seed(mode="light", now=NOW)
        data = report.as_dict()
        assert data["satisfied"] is True and data["mode"] == "light"
        assert data["added"]["mentara.Post"] == Post.objects.count()
        audit = mentara_seed.audit(mode="light", now=NOW)
        assert audit.satisfied and audit.added == {} and audit.gaps == []

    def test_call_command_returns_what_the_command_prints(self):
        out = io.StringIO()
        returned = call_command("seed_dynamic", mode="light", now=NOW, format="json", stdout=out)
        assert json.loads(returned) == json.loads(out.getvalue())
        assert json.loads(returned)["satisfied"] is True

    def test_seed_dynamic_is_a_thin_wrapper_over_the_api(self):
        returned = json.loads(
            call_command("seed_dynamic", "--mode=light", f"--now={ISO_NOW}", "--format=json")
        )
        api = mentara_seed.seed(mode="light", now=NOW).as_dict()
        assert returned["counts"] == api["counts"]


class TestSafety:
    def test_refuses_to_write_with_debug_off(self, settings):
        settings.DEBUG = False
        settings.MENTARA_SEED = {}
        with pytest.raises(CommandError, match="--allow-production"):
            call_command("seed_dynamic", mode="light", now=NOW, stdout=io.StringIO())
        assert not User.objects.exists()

    def test_allow_production_flag_or_setting(self, settings):
        settings.DEBUG = False
        settings.MENTARA_SEED = {}
        call_command("seed_dynamic", mode="light", now=NOW, allow_production=True)
        assert Client.objects.count() >= 8
        settings.MENTARA_SEED = {"ALLOW_PRODUCTION": True}
        call_command("seed_dynamic", mode="medium", now=NOW, stdout=io.StringIO())
        assert Client.objects.count() >= 20

    def test_read_only_runs_are_allowed_with_debug_off(self, settings):
        settings.DEBUG = False
        settings.MENTARA_SEED = {}
        call_command("seed_dynamic", mode="light", now=NOW, dry_run=True, stdout=io.StringIO())
        call_command("seed_audit", mode="light", now=NOW, stdout=io.StringIO())
        assert not User.objects.exists()

    def test_names_the_database_before_writing(self):
        err = io.StringIO()
        call_command("seed_dynamic", mode="light", now=NOW, stdout=io.StringIO(), stderr=err)
        assert err.getvalue().startswith("Seeding database default (")

    def test_says_nothing_about_writing_when_nothing_is_written(self):
        call_command("seed_dynamic", mode="light", now=NOW, stdout=io.StringIO())
        err = io.StringIO()
        call_command("seed_dynamic", mode="light", now=NOW, stdout=io.StringIO(), stderr=err)
        assert err.getvalue() == ""


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestProgressAndVerbosity:
    def test_progress_bar_on_a_terminal(self):
        err = FakeTerminal()
        call_command("seed_dynamic", mode="light", now=NOW, stdout=io.StringIO(), stderr=err)
        assert "\r[" in err.getvalue() and "mentara.Client.population" in err.getvalue()

    @pytest.mark.parametrize("options", [{"no_progress": True}, {"verbosity": 0}])
    def test_no_progress_bar_when_switched_off(self, options):
        err = FakeTerminal()
        call_command(
            "seed_dynamic", mode="light", now=NOW, stdout=io.StringIO(), stderr=err, **options
        )
        assert "\r[" not in err.getvalue()

    def test_no_progress_bar_when_stderr_is_not_a_terminal(self):
        err = io.StringIO()
        call_command("seed_dynamic", mode="light", now=NOW, stdout=io.StringIO(), stderr=err)
        assert "\r[" not in err.getvalue()

    def test_verbosity_0_prints_nothing(self):
        out = io.StringIO()
        call_command("seed_dynamic", mode="light", now=NOW, verbosity=0, stdout=out)
        assert out.getvalue() == ""
        assert Client.objects.count() >= 8

    def test_higher_verbosity_lists_more(self):
        call_command("seed_dynamic", mode="light", now=NOW, stdout=io.StringIO())
        Post.objects.filter(author__role="client").delete()
        levels = {}
        for verbosity in (1, 3):
            out = io.StringIO()
            call_command(
                "seed_dynamic", mode="light", now=NOW, dry_run=True, verbosity=verbosity, stdout=out
            )
            levels[verbosity] = out.getvalue()
        assert "more mentara.Client" in levels[1]
        assert "more mentara.Client" not in levels[3]
        assert len(levels[3].splitlines()) > len(levels[1].splitlines())

    def test_color_follows_no_color_and_force_color(self):
        plain = call_command("seed_dynamic", mode="light", now=NOW, no_color=True)
        colored = call_command("seed_dynamic", mode="light", now=NOW, force_color=True)
        assert "\x1b[" not in plain
        assert "\x1b[" in colored
