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
from app.comments.models import Comment, CommentRevision, Mention  # noqa: F401, E402
from app.files.models import FileBlob, FileChunk  # noqa: F401, E402
from app.mail.models import MailOutbox  # noqa: F401, E402
from app.materials.models import Material, PlanMaterialLink, StudyLogEntry  # noqa: F401, E402
from app.notifications.models import FeedToken, Notification, Watch  # noqa: F401, E402
from app.observations.models import (  # noqa: F401, E402
    AgreedChange,
    Discussion,
    FocusPupil,
    Noticing,
    Observation,
    PlannedPupil,
    ResearchLesson,
    ResearchLessonObserver,
)
from app.planning.models import Lesson, Sequence, Visit  # noqa: F401, E402
from app.reviews.models import (  # noqa: F401, E402
    Approval,
    ReviewDecision,
    ReviewFieldComment,
    ReviewRequest,
)
from app.revisions.models import Document, Revision  # noqa: F401, E402
from app.search.models import SearchLog, SearchReader  # noqa: F401, E402
from app.throttle import ThrottleCounter  # noqa: F401, E402
from app.workgroups.models import (  # noqa: F401, E402
    ActionPlan,
    ActionPlanSignOff,
    BoardThread,
    SessionAttendee,
    SessionLink,
    WorkGroupSession,
)
