"""Create a researcher's or an editor's account, so a team needs no superuser to add people.

The roles are the groups of migration 0005 (and 0020, 0026): the role gives the model
permissions, and defections/permissions.py decides the rest per record. The account is
staff, so it can sign in to the admin. The password is never taken where it would be
echoed or left in the shell's history unless asked: --password, else CREATE_USER_PASSWORD,
else a prompt (twice, not echoed); it must pass Django's password validators.
"""

import getpass
import os

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ROLES = {"editor": "Editor", "researcher": "Researcher"}
PASSWORD_VARIABLE = "CREATE_USER_PASSWORD"


class Command(BaseCommand):
    help = ("Create a staff account with one role: editor (publishes) or researcher "
            f"(writes drafts). Password: --password, else ${PASSWORD_VARIABLE}, else a prompt.")

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        # Not `choices=`: an unknown role should be a CommandError that names the roles.
        parser.add_argument("--role", required=True, help="editor or researcher")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help=f"visible in the process list; prefer ${PASSWORD_VARIABLE}")
        parser.add_argument("--update", action="store_true",
                            help="change the role, e-mail and password of an existing account")

    def handle(self, *args, username, role, email, password, update, **options):
        if role.lower() not in ROLES:
            raise CommandError(f"Unknown role {role!r}: the roles are {' and '.join(ROLES)}.")
        try:
            group = Group.objects.get(name=ROLES[role.lower()])
        except Group.DoesNotExist:
            raise CommandError(f"The group {ROLES[role.lower()]!r} is missing: run "
                               "`manage.py migrate` first.") from None
        User = get_user_model()
        if "\x00" in username:  # PostgreSQL cannot even look it up
            raise CommandError("username: Enter a valid username (it holds a NUL character).")
        user = User.objects.filter(username=username).first()
        if user is not None and not update:
            raise CommandError(f"The user {username!r} exists: pass --update to change it.")
        existed = user is not None
        if user is None:
            user = User(username=username)
        user.email = email or user.email
        user.is_staff = True
        user.is_active = True
        user.is_superuser = False  # exactly the role: a demoted superuser publishes no more
        try:  # the username's own rules (characters, length), before anything is written
            user.full_clean(exclude=["password"], validate_unique=False)
        except ValidationError as exc:
            raise CommandError(" ".join(f"{field}: {' '.join(errors)}"
                                        for field, errors in exc.message_dict.items())) from None

        password = password or os.environ.get(PASSWORD_VARIABLE) or self.prompt()
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("The password is refused: " + " ".join(exc.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.save()
            # One role: an account changed from researcher to editor is no longer a researcher.
            user.groups.remove(*Group.objects.filter(name__in=ROLES.values()))
            user.groups.add(group)
            user.user_permissions.clear()  # nor keeps a permission given to the account itself
        done = "Updated" if existed else "Created"
        self.stdout.write(f"{done} the {role.lower()} {username!r}; they sign in at /admin/.")

    def prompt(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        if not first:
            raise CommandError("The password is empty.")
        return first
