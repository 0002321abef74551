"""The home page's "get started" checklist: data, so it grows as the product does.

Each step says what it asks, where it leads, when it is done and for whom it is. A step
whose page does not exist yet (its URL name does not resolve: the feature has not
landed) is left out, so CRM steps (add clients, import, pipeline, custom fields) appear
by themselves when their pages ship. A step can wait for another (two-factor set-up
needs a confirmed e-mail address) and then says so instead of sending people to a page
that will refuse them.

Runs inside a workspace (a request on its host).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from tenants.members.models import Invitation, User


def _exists(app_label: str, model_name: str, **filters: object) -> bool:
    """Whether any row of a model exists; False while the model has not landed."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return bool(model.objects.filter(**filters).exists())


def _email_confirmed(user: User) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, verified=True).exists()


def _mfa_enabled(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exists()


def _has_team(user: User) -> bool:
    return User.objects.count() > 1 or Invitation.objects.exists()


def _admins_only(user: User) -> bool:
    return user.is_workspace_admin


@dataclass(frozen=True)
class Step:
    key: str
    title: object  # lazy translation
    url_names: tuple[str, ...]  # the first that resolves is the link; none: not yet shipped
    done: Callable[[User], bool]
    for_user: Callable[[User], bool] = field(default=lambda user: True)
    waits_for: str = ""  # key of a step that must be done first
    waiting_hint: object = ""


STEPS: tuple[Step, ...] = (
    Step(
        "invite_team",
        _("Invite your team"),
        ("members",),
        _has_team,
        for_user=_admins_only,
    ),
    Step("verify_email", _("Confirm your e-mail address"), ("account_email",), _email_confirmed),
    Step(
        "enable_mfa",
        _("Turn on two-factor authentication"),
        ("mfa_index",),
        _mfa_enabled,
        waits_for="verify_email",
        waiting_hint=_("First confirm your e-mail address: two-factor set-up needs it."),
    ),
    Step(
        "add_clients",
        _("Add your first client"),
        ("crm_contact_create",),
        lambda user: _exists("crm", "Contact"),
    ),
    Step(
        "import_clients",
        _("Import your client base from a spreadsheet or another CRM"),
        ("importing:start",),
        lambda user: _exists("importing", "ImportJob", status="done"),
        for_user=_admins_only,
    ),
    Step(
        "set_up_pipeline",
        _("Set up your sales pipeline"),
        ("crm_pipeline_settings",),
        lambda user: _exists("crm", "Deal"),
        for_user=_admins_only,
    ),
    Step(
        "add_custom_fields",
        _("Add the fields your business needs"),
        ("crm_fields_index",),
        lambda user: _exists("crm", "CustomField"),
        for_user=_admins_only,
    ),
)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    url: str
    done: bool
    waiting_hint: str  # set when the step must wait for another one


def _first_url(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def checklist_dismissed(user: User) -> bool:
    """Whether `user` hid the checklist (they can show it again from the home page)."""
    return _exists("importing", "ChecklistDismissal", user=user)


def checklist_for(user: User, steps: tuple[Step, ...] = STEPS) -> list[ChecklistItem]:
    """The steps that apply to `user` and whose pages exist, with what is done."""
    items: list[ChecklistItem] = []
    done_keys: set[str] = set()
    for step in steps:
        if not step.for_user(user):
            continue
        url = _first_url(step.url_names)
        if url is None:
            continue
        done = step.done(user)
        if done:
            done_keys.add(step.key)
        waiting = bool(step.waits_for) and step.waits_for not in done_keys and not done
        items.append(
            ChecklistItem(
                key=step.key,
                title=str(step.title),
                url=url,
                done=done,
                waiting_hint=str(step.waiting_hint) if waiting else "",
            )
        )
    return items
