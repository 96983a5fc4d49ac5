"""Import every feature's models so metadata (and Alembic) sees the whole schema."""

from app.accounts.models import (  # noqa: F401
    AuditEvent,
    Hub,
    Invitation,
    Membership,
    MembershipRole,
    PasswordReset,
    School,
    User,
    WorkGroup,
    WorkGroupSchool,
)
from app.materials.models import Material, PlanMaterialLink, StudyLogEntry  # noqa: F401, E402
from app.planning.models import (  # noqa: F401, E402
    Document,
    Lesson,
    PendingDraft,
    Revision,
    Sequence,
    Visit,
)
from app.search.models import SearchOutbox  # noqa: F401, E402
