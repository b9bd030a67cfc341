from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import APIKey

from config.admin_mixins import CoordinatorAdmin, ReadOnlyCoordinatorAdmin

from .models import Organization, PartnerKey, Party, SecurityEvent, User
from .services import access_changed_record


@admin.register(Party)
class PartyAdmin(CoordinatorAdmin):
    list_display = ["code", "name_en", "name_zh_hans", "kind", "status", "joined_on"]
    list_filter = ["kind", "status", "frameworks"]
    search_fields = ["code", "name_en", "name_zh_hans"]
    filter_horizontal = ["frameworks"]


@admin.register(Organization)
class OrganizationAdmin(CoordinatorAdmin):
    list_display = ["name_en", "name_zh_hans", "kind", "party"]
    list_filter = ["kind", "party"]
    search_fields = ["name_en", "name_zh_hans", "party__code"]
    autocomplete_fields = ["party"]


@admin.register(User)
class UserAdmin(CoordinatorAdmin, DjangoUserAdmin):
    list_display = ["username", "get_full_name", "role", "party", "organization", "is_active"]
    list_filter = ["role", "party", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["party", "organization"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email", "preferred_language")}),
        (_("Access"), {"fields": ("role", "party", "organization", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Access"), {"fields": ("role", "party", "organization", "preferred_language")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        before = {key: form.initial.get(key) for key in ("role", "party", "organization")} if change else {}
        super().save_model(request, obj, form, change)
        after = {"role": obj.role, "party": obj.party_id, "organization": obj.organization_id}
        access_changed_record(user=obj, actor=request.user, request=request, before=before, after=after)


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyCoordinatorAdmin):
    list_display = ["at", "kind", "username", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "at"


# The library's keys are PartnerKey (bound to a partner system and its party); the package's
# own unbound APIKey model stays out of the admin.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(PartnerKey)
class PartnerKeyAdmin(CoordinatorAdmin):
    list_display = ["prefix", "name", "account", "party_code", "scope", "expiry_date", "_has_expired", "revoked"]
    list_filter = ["scope", "revoked"]
    search_fields = ["name", "prefix", "account__username", "account__party__code"]
    autocomplete_fields = ["account"]
    fields = ["name", "account", "scope", "expiry_date", "revoked", "prefix", "created", "last_used_at"]

    @admin.display(description=_("party"))
    def party_code(self, key):
        return key.account.party.code if key.account.party_id else "—"

    def get_readonly_fields(self, request, obj=None):
        readonly = ["prefix", "created", "last_used_at"]
        if obj is not None:
            readonly += ["account"]  # a key never moves to another partner or party
            if obj.revoked:
                readonly += ["name", "scope", "expiry_date", "revoked"]
        return readonly

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        key = PartnerKey.objects.assign_key(obj)
        obj.save()
        messages.warning(
            request,
            _("The API key for %(name)s is %(key)s — copy it now: it is stored only as a hash and is not shown again.")
            % {"name": obj.name, "key": key},
        )
