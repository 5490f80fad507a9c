#!/usr/bin/env python
"""Django's command-line utility for the Mentara demo project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured:
        # A missing database driver fails while the models load, before any command runs.
        from mentara_seed.drivers import driver_problem

        problem = None if "--traceback" in sys.argv else driver_problem("default")
        if problem is None:
            raise
        sys.exit(f"CommandError: {problem}")


if __name__ == "__main__":
    main()
