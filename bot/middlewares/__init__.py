"""What happens to every update before a handler sees it, in this order:
a database session (committed or rolled back as a whole), whether the update belongs to a
private flow (logged without who sent it), the person and their memberships,
the locale; a command typed in any letter case, or tapped on the main menu, is that command;
a command leaves any unfinished conversation step; and, for handlers that ask for a
capability, the authorization check."""

from bot.middlewares.authorization import AuthorizationMiddleware
from bot.middlewares.commands import CommandsLeaveFlowsMiddleware, ForgivingCommandsMiddleware
from bot.middlewares.database import DbSessionMiddleware
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.people import PersonMiddleware
from bot.middlewares.private_flow import PrivateFlowMiddleware

__all__ = [
    "AuthorizationMiddleware",
    "CommandsLeaveFlowsMiddleware",
    "DbSessionMiddleware",
    "ForgivingCommandsMiddleware",
    "LocaleMiddleware",
    "PersonMiddleware",
    "PrivateFlowMiddleware",
]
