"""Create the `admin` superuser on first run (README, "The two commands"); do nothing after that."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the superuser `admin` if no superuser exists (password from ADMIN_PASSWORD)."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        password = os.environ.get("ADMIN_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", email="", password=password)
        if generated:
            self.stdout.write(self.style.WARNING(
                f"Created the superuser `admin` with the password {password}\n"
                "It is shown this once: note it, or set ADMIN_PASSWORD before the first run."
            ))
        else:
            self.stdout.write("Created the superuser `admin` with the password in ADMIN_PASSWORD.")
