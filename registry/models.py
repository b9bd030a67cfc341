"""Participating parties, their organizations, and the people who act for them."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager
from simple_history.models import HistoricalRecords

from config.i18n import TranslatedField


class PartyKind(models.TextChoices):
    COUNTRY = "country", _("Country")
    INTERNATIONAL_ORGANIZATION = "international_organization", _("International organization")
    OTHER = "other", _("Other")


class PartyStatus(models.TextChoices):
    """Standing towards the primary framework (DEGD-2023)."""

    PARTICIPANT = "participant", _("Participating party")
    SUPPORTER = "supporter", _("Supporting organization")
    APPLICANT = "applicant", _("Domestic approval under way")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    NON_PARTICIPANT = "non_participant", _("Not a participant (related initiatives only)")


class PartyQuerySet(models.QuerySet):
    def members(self):
        """Parties that take part in the primary framework (participants and supporters)."""
        return self.filter(status__in=[PartyStatus.PARTICIPANT, PartyStatus.SUPPORTER])


class Party(models.Model):
    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        help_text=_("ISO 3166-1 alpha-3 for countries; the usual acronym for organizations."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=PartyKind.choices)
    status = models.CharField(_("status"), max_length=32, choices=PartyStatus.choices)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    iso_alpha2 = models.CharField(_("ISO 3166-1 alpha-2"), max_length=2, blank=True)
    iso_numeric = models.CharField(_("ISO 3166-1 numeric"), max_length=3, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    frameworks = models.ManyToManyField(
        "framework.Framework", related_name="parties", blank=True, verbose_name=_("frameworks signed")
    )
    history = HistoricalRecords(m2m_fields=[frameworks])

    name = TranslatedField()

    objects = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self):
        return f"{self.name} ({self.code})"


class OrganizationKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry or government agency")
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    ENTERPRISE = "enterprise", _("Enterprise")
    BUSINESS_ASSOCIATION = "business_association", _("Business association")
    RESEARCH_INSTITUTION = "research_institution", _("Research institution")
    INTERNATIONAL_ORGANIZATION = "international_organization", _("International organization")
    OTHER = "other", _("Other")


class Organization(models.Model):
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="organizations")
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=255, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    history = HistoricalRecords()

    name = TranslatedField()

    class Meta:
        ordering = ["party__code", "name_en", "name_zh_hans"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(condition=~models.Q(name_zh_hans="", name_en=""), name="organization_has_a_name"),
        ]

    def __str__(self):
        return f"{self.name} ({self.party.code})"


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    FOCAL_POINT = "focal_point", _("Focal point")
    COORDINATOR = "coordinator", _("Coordinator")
    PARTNER_SYSTEM = "partner_system", _("Partner system")


ROLES_NEEDING_A_PARTY = (Role.OFFICER, Role.FOCAL_POINT, Role.PARTNER_SYSTEM)
ROLES_NEEDING_TWO_FACTOR = (Role.COORDINATOR, Role.FOCAL_POINT)


class User(AbstractUser):
    """A person (or a partner system's account) with a role, acting for one party."""

    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="people", null=True, blank=True, verbose_name=_("party")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        related_name="people",
        null=True,
        blank=True,
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="en",
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=ROLES_NEEDING_A_PARTY) | models.Q(party__isnull=False),
                name="user_role_needs_party",
            ),
        ]

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_focal_point(self) -> bool:
        return self.role == Role.FOCAL_POINT

    @property
    def is_officer(self) -> bool:
        return self.role == Role.OFFICER

    @property
    def needs_two_factor(self) -> bool:
        return self.is_superuser or self.role in ROLES_NEEDING_TWO_FACTOR

    def clean(self):
        super().clean()
        if self.role in ROLES_NEEDING_A_PARTY and not self.party_id:
            raise ValidationError({"party": _("An officer, focal point or partner system acts for a party.")})
        if self.organization_id and self.organization.party_id != self.party_id:
            raise ValidationError({"organization": _("The organization must belong to the user's party.")})


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Signed out")
    LOCKED_OUT = "locked_out", _("Locked out")
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("Two-factor sign-in set up")
    TWO_FACTOR_VERIFIED = "two_factor_verified", _("Two-factor sign-in verified")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Two-factor code refused")
    ROLE_CHANGED = "role_changed", _("Role or party changed")


class SecurityEvent(models.Model):
    """An append-only record of sign-ins, lockouts and role changes, for the secretariat."""

    kind = models.CharField(_("kind"), max_length=32, choices=SecurityEventKind.choices, db_index=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("user")
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [models.Index(fields=["kind", "ip_address", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"


class KeyScope(models.TextChoices):
    READ = "read", _("Read")
    READ_WRITE = "read_write", _("Read and write")


class PartnerKeyManager(APIKeyManager):
    def get_usable_keys(self):
        """With the account: authenticating a request costs one query, not two."""
        return super().get_usable_keys().select_related("account")


class PartnerKey(AbstractAPIKey):
    """An API key of a partner system: stored hashed (SHA-512 of a high-entropy secret), shown once,
    revocable, expiring. It acts as its partner-system account, so the party always comes from the
    key and never from a request's payload."""

    account = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="api_keys",
        limit_choices_to={"role": Role.PARTNER_SYSTEM},
        verbose_name=_("partner system account"),
    )
    scope = models.CharField(_("scope"), max_length=16, choices=KeyScope.choices, default=KeyScope.READ)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = PartnerKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")

    @property
    def party(self):
        return self.account.party

    @property
    def can_write(self) -> bool:
        return self.scope == KeyScope.READ_WRITE

    def clean(self):
        super().clean()
        if self.account_id and (self.account.role != Role.PARTNER_SYSTEM or not self.account.party_id):
            raise ValidationError({"account": _("API keys belong to a partner system account of a party.")})
        if not self.expiry_date:
            raise ValidationError({"expiry_date": _("Every key has an expiry date.")})


class IdempotencyState(models.TextChoices):
    IN_FLIGHT = "in_flight", _("In flight")
    DONE = "done", _("Done")


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed to retries of it.

    Unique per (caller, key): the in-flight row is inserted, and committed, before the request
    runs, so of concurrent requests with one key only one runs (config.api.idempotency)."""

    caller = models.CharField(_("caller"), max_length=64, help_text=_("key:<API key prefix> or user:<user id>."))
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(
        _("request fingerprint"), max_length=64, help_text=_("SHA-256 of method, path, body.")
    )
    state = models.CharField(_("state"), max_length=16, choices=IdempotencyState.choices)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"), default=b"", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_once_per_caller")]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self):
        return f"{self.caller} {self.key}"
