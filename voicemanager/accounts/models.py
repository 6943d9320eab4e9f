"""Users (email login), organisations, memberships and API keys."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from voicemanager.core.ids import org_id


class EmailUserManager(UserManager):
    """Users log in by email; ``username`` is kept equal to the email."""

    def _create_user(self, username, email, password, **extra):
        email = self.normalize_email(email or username)
        return super()._create_user(email, email, password, **extra)

    def create_user(self, email=None, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra)

    def create_superuser(self, email=None, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(None, email, password, **extra)


class User(AbstractUser):
    class Kind(models.TextChoices):
        TEAM = "team", "Team member"
        CONTRACTOR = "contractor", "Contractor (booth only)"

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEAM)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = EmailUserManager()

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        self.username = self.email
        super().save(*args, **kwargs)

    @property
    def is_contractor(self) -> bool:
        return self.kind == self.Kind.CONTRACTOR

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class OrganisationQuerySet(models.QuerySet):
    def for_user(self, user) -> OrganisationQuerySet:
        """Organisations the user is a member of (any role)."""
        if not user.is_authenticated or getattr(user, "is_contractor", False):
            return self.none()
        return self.filter(memberships__user=user).distinct()

    def administered_by(self, user) -> OrganisationQuerySet:
        if not user.is_authenticated or getattr(user, "is_contractor", False):
            return self.none()
        return self.filter(memberships__user=user, memberships__role=Membership.Role.ADMIN).distinct()


class Organisation(models.Model):
    class DenoiseEngine(models.TextChoices):
        SPECTRAL = "spectral", "Spectral gating (uses room tone)"
        NEURAL = "neural", "Neural (RNNoise/DeepFilterNet)"

    public_id = models.CharField(max_length=40, unique=True, default=org_id, editable=False)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    auto_process_takes = models.BooleanField(
        default=True, help_text="Analyse and denoise submitted takes automatically."
    )
    denoise_engine = models.CharField(max_length=16, choices=DenoiseEngine.choices, default=DenoiseEngine.SPECTRAL)
    denoise_strength = models.FloatField(default=0.8)
    review_takes = models.BooleanField(
        default=False, help_text="Every take needs an admin's approval before a task is ready "
        "(otherwise a take that passed QC is enough).")

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def admin_emails(self) -> list[str]:
        """Who hears about this organisation's work (task submitted or ready, voice ready, reminders)."""
        return list(self.memberships.filter(role=Membership.Role.ADMIN)
                    .values_list("user__email", flat=True).order_by("user__email"))

    def is_admin(self, user) -> bool:
        return self.memberships.filter(user=user, role=Membership.Role.ADMIN).exists()

    @property
    def credit_balance(self) -> int:
        """The ledger rule: the balance is the sum of the organisation's entries."""
        return self.credit_entries.aggregate(total=models.Sum("amount"))["total"] or 0


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKey(models.Model):
    """Per-organisation API key; only a SHA-256 of the secret is stored."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.organisation})"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, organisation: Organisation, name: str = "default", created_by=None) -> tuple[ApiKey, str]:
        """Create a key and return it with the raw secret (shown once)."""
        raw = "vmk_" + secrets.token_urlsafe(32)
        key = cls.objects.create(
            organisation=organisation, name=name, prefix=raw[:12], key_hash=cls.hash(raw), created_by=created_by
        )
        return key, raw

    def revoke(self) -> bool:
        """Stop the key working; True when this call revoked it (a second call changes nothing)."""
        now = timezone.now()
        revoked = ApiKey.objects.filter(pk=self.pk, revoked_at=None).update(revoked_at=now)
        if revoked:
            self.revoked_at = now
        return bool(revoked)

    @classmethod
    def authenticate(cls, raw: str | None) -> ApiKey | None:
        """The live key for ``raw``: not revoked, and its creator (if any) still an active member."""
        if not raw:
            return None
        creator_is_member = Membership.objects.filter(organisation=models.OuterRef("organisation"),
                                                      user=models.OuterRef("created_by"), user__is_active=True)
        key = (cls.objects.select_related("organisation").filter(key_hash=cls.hash(raw), revoked_at=None)
               .filter(models.Q(created_by=None) | models.Exists(creator_is_member)).first())
        now = timezone.now()
        if key and (key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION):
            # At most one write a minute per key: an API client polling status is not a row write per call.
            cls.objects.filter(pk=key.pk).update(last_used_at=now)
        return key
