"""Who may do what. One table, read by the handlers' authorization check, by /help and the
command menu, and by the docs.

A person may belong to several enterprises (a consultant usually does), with one role in each;
every check is made against the membership of the enterprise the data belongs to.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from storage.models import Enterprise, Membership, Role


class Capability(enum.StrEnum):
    SEE_TEAM = "see_team"  # see one's enterprise, team and (for leads) its members
    INVITE = "invite"  # create invite links for some roles (see INVITABLE_ROLES)
    LEARN = "learn"  # receive lessons, answer quizzes, see one's progress, pause
    LEAD_LEARNING = "lead_learning"  # set a team's lesson schedule, see its progress
    SUGGEST = "suggest"  # send suggestions, answer reviewers' questions, see /stats
    REVIEW_SUGGESTIONS = "review_suggestions"  # accept, decline, assign, mark implemented
    SEE_KPIS = "see_kpis"  # the enterprise's KPI trends, chart and effectiveness
    REPORT_KPIS = "report_kpis"  # the weekly check-in, and correcting last week
    SET_BASELINES = "set_baselines"  # correct a KPI's baseline (the consultant's assessment)
    PLAN_ACTIONS = "plan_actions"  # create action items by hand (/action)
    FOLLOW = "follow"  # /teams health, group links and digests, escalations, /export
    SEE_CLIMATE = "see_climate"  # answer the pulse survey; see the Working Climate Index
    SELF_CHECK = "self_check"  # run the labour-standards self-check, see its status over time
    SEE_PROGRAMME = "see_programme"  # programme-wide figures across enterprises (/report)
    DASHBOARD = "dashboard"  # the web dashboard (/dashboard): the enterprises one follows


# SIMAPRO is bottom-up: everyone sees the figures their work moves.
_EVERY_MEMBER = {Capability.SEE_TEAM, Capability.LEARN, Capability.SUGGEST, Capability.SEE_KPIS,
                 Capability.SEE_CLIMATE}
_LEADS = _EVERY_MEMBER | {Capability.INVITE, Capability.LEAD_LEARNING}
# Consultants follow and coach; the enterprise's own people decide on its suggestions.
_REVIEWERS = _LEADS | {Capability.REVIEW_SUGGESTIONS, Capability.REPORT_KPIS,
                      Capability.PLAN_ACTIONS}
_FOLLOWERS = {Capability.SET_BASELINES, Capability.FOLLOW, Capability.PLAN_ACTIONS}

# A worker or team lead chosen as the worker representative answers the self-check too; that
# is checked against the enterprise (Enterprise.worker_rep_id), not granted by role.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.WORKER: frozenset(_EVERY_MEMBER),
    Role.TEAM_LEAD: frozenset(_REVIEWERS),
    Role.MANAGER: frozenset(_REVIEWERS | {Capability.SELF_CHECK, Capability.DASHBOARD}),
    Role.CONSULTANT: frozenset(_LEADS | _FOLLOWERS | {Capability.SELF_CHECK,
                                                      Capability.DASHBOARD}),
    Role.ADMIN: frozenset(_REVIEWERS | _FOLLOWERS | {Capability.SELF_CHECK,
                                                     Capability.DASHBOARD}),
}

# Programme administrators (ADMIN_IDS) act in any enterprise for these, without a membership.
PROGRAMME_ADMIN_CAPABILITIES = frozenset(
    {Capability.SEE_TEAM, Capability.INVITE, Capability.SEE_PROGRAMME, Capability.DASHBOARD}
)

# Which roles each role may hand out by invite. A team lead invites workers to their own team.
INVITABLE_ROLES: dict[Role, tuple[Role, ...]] = {
    Role.WORKER: (),
    Role.TEAM_LEAD: (Role.WORKER,),
    Role.MANAGER: (Role.WORKER, Role.TEAM_LEAD, Role.MANAGER),
    Role.CONSULTANT: (Role.WORKER, Role.TEAM_LEAD, Role.MANAGER),
    Role.ADMIN: (Role.WORKER, Role.TEAM_LEAD, Role.MANAGER, Role.CONSULTANT, Role.ADMIN),
}

# Roles that belong to one team; the others span the enterprise.
TEAM_ROLES = frozenset({Role.WORKER, Role.TEAM_LEAD})

# Roles that see every team of their enterprise rather than only their own.
ENTERPRISE_WIDE_ROLES = frozenset({Role.MANAGER, Role.CONSULTANT, Role.ADMIN})


def can(membership: Membership, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES[membership.role]


def memberships_with(
    memberships: Iterable[Membership], capability: Capability
) -> list[Membership]:
    return [m for m in memberships if can(m, capability)]


def membership_in(memberships: Iterable[Membership], enterprise_id: int) -> Membership | None:
    return next((m for m in memberships if m.enterprise_id == enterprise_id), None)


def single_enterprise(memberships: Iterable[Membership]) -> Membership | None:
    """The membership when they are all in one enterprise; None when there are several
    enterprises (the person must choose) or none."""
    found = list(memberships)
    if found and all(m.enterprise_id == found[0].enterprise_id for m in found):
        return found[0]
    return None


def may_invite(membership: Membership, role: Role, team_id: int | None) -> bool:
    """May this member create an invite for `role` into `team_id` of their enterprise?
    The caller has already checked that the team belongs to the membership's enterprise."""
    if role not in INVITABLE_ROLES[membership.role]:
        return False
    if (role in TEAM_ROLES) != (team_id is not None):
        return False
    if membership.role == Role.TEAM_LEAD:
        return team_id is not None and team_id == membership.team_id
    return True


def may_see_team(membership: Membership, team_id: int) -> bool:
    return membership.role in ENTERPRISE_WIDE_ROLES or membership.team_id == team_id


def as_programme_admin(enterprise: Enterprise) -> Membership:
    """A programme administrator acts as an admin of any enterprise. The membership is never
    stored: it exists for the length of one update."""
    return Membership(role=Role.ADMIN, enterprise_id=enterprise.id, enterprise=enterprise)
