"""The admin's "History" page: a readable diff of every change, and a restore button."""


from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext

from defections import history, invariants


class HistoryMixin:
    """Replaces the admin's "History" page with the pghistory events of the object."""

    object_history_template = "admin/defections/history.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/history/restore/",
                 self.admin_site.admin_view(self.restore_view), name="{}_{}_restore".format(*info)),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("History: %(object)s") % {"object": obj},
            "subtitle": None,
            "entries": history.entries(obj),
            "module_name": str(self.opts.verbose_name_plural).capitalize(),
            "object": obj,
            "opts": self.opts,
            "can_restore": self.has_change_permission(request, obj),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def restore_view(self, request, object_id):
        """Restore one row (the object, or a citation or response of it) as it was in an event."""
        if request.method != "POST":
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history",
                                    args=[object_id]))
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            event = history.load_event(request.POST.get("event", ""))
        except (LookupError, ValueError) as error:
            raise Http404(gettext("No such event.")) from error
        own = event.pgh_tracked_model is type(obj) and event.pgh_obj_id == obj.pk
        if not own and not self.event_concerns(event, obj):
            raise PermissionDenied
        target_admin = self.admin_site._registry.get(event.pgh_tracked_model)
        if target_admin is None:  # a case's motives: edited on the case's own page
            self.message_user(request, gettext("Not restored: change this on the record's own page."),
                              messages.ERROR)
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history",
                                    args=[object_id]))
        current = event.pgh_tracked_model.objects.filter(pk=event.pgh_obj_id).first()
        if not (target_admin.has_change_permission(request, current)
                if current else target_admin.has_add_permission(request)):
            raise PermissionDenied
        try:
            restored = history.restore(event, request.user)
        except (ValidationError, PermissionDenied, IntegrityError) as error:
            reason = ("; ".join(error.messages) if isinstance(error, ValidationError)
                      else invariants.explain(error) if isinstance(error, IntegrityError) else str(error))
            self.message_user(request, gettext("Not restored: %(reason)s") % {"reason": reason},
                              messages.ERROR)
        else:
            when = date_format(localtime(event.pgh_created_at), "d M Y H:i:s")
            self.message_user(request, gettext("Restored “%(record)s” as it was on %(when)s.") % {
                "record": restored, "when": when}, messages.SUCCESS)
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history",
                                args=[object_id]))

    @staticmethod
    def event_concerns(event, obj) -> bool:
        """Does the event's row point to obj (a case's citation, a person's alias)?"""
        for model_field in event._meta.concrete_fields:
            if (model_field.is_relation and model_field.related_model is type(obj)
                    and getattr(event, model_field.attname) == obj.pk):
                return True
        return False
