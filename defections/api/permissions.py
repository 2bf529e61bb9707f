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

    def has_permission(self, request, view):
        """A method for which perms_map asks no model permission (GET, HEAD, OPTIONS) is
        allowed as DRF allows it, without building the view's queryset first to learn its
        model: for the public that queryset is the door's whole visible_to(), built again
        by the view itself, and it cost more than a cached answer."""
        if self.perms_map.get(request.method) == [] and request.user and (
                request.user.is_authenticated or not self.authenticated_users_only):
            return True
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        allowed = super().has_object_permission(request, view, obj)
        if not allowed:
            self.message = refusal(obj)  # why, in the door's words
        return allowed
