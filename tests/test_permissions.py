"""Who may invite whom: every cell of the table in bot/services/permissions.py."""

from __future__ import annotations

import pytest

from bot.services.permissions import Capability, can, may_invite, may_see_team
from storage.models import Membership, Role

OWN_TEAM, OTHER_TEAM = 1, 2

# (inviter, invited role, team) -> allowed
EXPECTED = {
    (Role.WORKER, Role.WORKER, OWN_TEAM): False,
    (Role.TEAM_LEAD, Role.WORKER, OWN_TEAM): True,
    (Role.TEAM_LEAD, Role.WORKER, OTHER_TEAM): False,
    (Role.TEAM_LEAD, Role.TEAM_LEAD, OWN_TEAM): False,
    (Role.TEAM_LEAD, Role.MANAGER, None): False,
    (Role.MANAGER, Role.WORKER, OTHER_TEAM): True,
    (Role.MANAGER, Role.TEAM_LEAD, OTHER_TEAM): True,
    (Role.MANAGER, Role.MANAGER, None): True,
    (Role.MANAGER, Role.MANAGER, OWN_TEAM): False,  # managers belong to no team
    (Role.MANAGER, Role.WORKER, None): False,  # workers need a team
    (Role.MANAGER, Role.CONSULTANT, None): False,
    (Role.MANAGER, Role.ADMIN, None): False,
    (Role.CONSULTANT, Role.MANAGER, None): True,
    (Role.CONSULTANT, Role.CONSULTANT, None): False,
    (Role.ADMIN, Role.CONSULTANT, None): True,
    (Role.ADMIN, Role.ADMIN, None): True,
}


@pytest.mark.parametrize(("inviter", "role", "team"), list(EXPECTED))
def test_invite_table(inviter, role, team):
    member = Membership(role=inviter, team_id=OWN_TEAM if inviter in
                        (Role.WORKER, Role.TEAM_LEAD) else None)
    assert may_invite(member, role, team) is EXPECTED[(inviter, role, team)]


@pytest.mark.parametrize("role", list(Role))
def test_everyone_sees_their_team_and_only_leads_up_invite(role):
    member = Membership(role=role, team_id=OWN_TEAM)
    assert can(member, Capability.SEE_TEAM)
    assert can(member, Capability.INVITE) is (role != Role.WORKER)
    assert may_see_team(member, OWN_TEAM)
    assert may_see_team(member, OTHER_TEAM) is (
        role in (Role.MANAGER, Role.CONSULTANT, Role.ADMIN)
    )
