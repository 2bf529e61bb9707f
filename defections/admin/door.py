"""The permission door as the admin asks it: every admin and inline asks
`user.has_perm(perm, obj)` about the object, on every page, save, delete and action."""


from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth import get_permission_codename
from django.utils.html import format_html

from defections import languages
from defections.admin.forms import (
    DoorForm,
    DoorFormSet,
)
from defections.permissions import (
    authorize_delete,
    authorize_save,
    stored,
)

# --- the permission door: every admin asks it about the object ------------------------------


def perm(opts, action: str) -> str:
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


# The texts written in both languages, by model: each English column is edited beside its
# Russian one (on one row of the form), in text boxes narrow enough to sit side by side.
BILINGUAL = {model: {column for field in fields for column in languages.columns(field)}
             for model, fields in languages.TRANSLATED.items()}


def bilingual(db_field, formfield):
    if (formfield is not None and isinstance(formfield.widget, forms.Textarea)
            and db_field.name in BILINGUAL.get(db_field.model.__name__, ())):
        formfield.widget.attrs["class"] = f"{formfield.widget.attrs.get('class', '')} bilingual".strip()
    return formfield


class DoorAdmin(admin.ModelAdmin):
    """Change and delete are asked of the door (defections/permissions.py) with the object;
    saves and deletes are asked again as they happen, whatever page or action made them."""

    form = DoorForm
    # Boxes that confirm a warning of the form ("Not a duplicate"): left out of the fieldsets,
    # shown right under the warning while there is one (templates/admin/defections/change_form.html).
    confirm_fields = ()

    class Media:
        css = {"all": ["css/admin.css"]}

    def render_change_form(self, request, context, *args, **kwargs):
        form = context["adminform"].form
        context["confirm_fields"] = [form[name] for name in self.confirm_fields
                                     if name in form.fields and form.non_field_errors()]
        return super().render_change_form(request, context, *args, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return bilingual(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(perm(self.opts, "change"), obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(perm(self.opts, "delete"), obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        if not isinstance(form, DoorForm):  # a DoorForm asked as it cleaned, rows locked since
            authorize_save(request.user, obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for row in formset.forms:
            if row in formset.deleted_forms:
                if not isinstance(formset, DoorFormSet) and (before := stored(row.instance)):
                    authorize_delete(request.user, before)
            elif row.has_changed() and not isinstance(row, DoorForm):
                authorize_save(request.user, row.instance)
        super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        authorize_delete(request.user, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            authorize_delete(request.user, obj)
        super().delete_queryset(request, queryset)

    def get_deleted_objects(self, objs, request):
        """The confirmation page names what the door refuses, and the POST is then refused."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(not request.user.has_perm(perm(obj._meta, "delete"), obj) for obj in objs):
            perms_needed.add(str(self.opts.verbose_name))
        return deleted, counts, perms_needed, protected


class CountriesWidget(FilteredSelectMultiple):
    """Django's two boxes with a search, in the wrapper its script expects (as around a many-
    to-many field); without one, the boxes are put before the field's label."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('<div class="related-widget-wrapper">{}</div>',
                           super().render(name, value, attrs, renderer))


class DoorInline:
    """An inline's rows are the parent's: changed only where the parent may be changed. Each
    row is asked again as saved (DoorForm) or deleted (DoorFormSet)."""

    form = DoorForm
    formset = DoorFormSet

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return bilingual(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

    def parent_allows(self, request, obj):
        return obj is None or request.user.has_perm(perm(obj._meta, "change"), obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self.parent_allows(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.parent_allows(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.parent_allows(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = type(formset.form.__name__, (formset.form,), {"user": request.user})
        return type(formset.__name__, (formset,), {"form": form, "user": request.user})


def cut(text: str, href: str = ""):
    """A long text (a link if href) cut short by the stylesheet, whole in its title."""
    if href:
        return format_html('<a class="cut" href="{}" title="{}" rel="noopener noreferrer">{}</a>',
                           href, href, text)
    return format_html('<span class="cut" title="{}">{}</span>', text, text)
