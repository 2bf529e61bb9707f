"""Who may write through the API: the model permission, then the permission door.

DRF's DjangoObjectPermissions asks `user.has_perm(perm, obj)` about the record as stored;
the serializers ask the door again about the record as it will be saved
(CleanModelSerializer.validate). The rules themselves live in defections/permissions.py.
"""

from rest_framework.permissions import DjangoObjectPermissions

from defections.permissions import refusal


class ObjectPermissions(DjangoObjectPermissions):
    """Anyone reads (visibility decides what); writes need the model and object permission."""

    authenticated_users_only = False

    def has_object_permission(self, request, view, obj):
        allowed = super().has_object_permission(request, view, obj)
        if not allowed:
            self.message = refusal(obj)  # why, in the door's words
        return allowed
