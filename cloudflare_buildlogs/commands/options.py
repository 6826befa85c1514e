"""What each command is asked to do: frozen options objects, built by `cli/` from the flags."""

from __future__ import annotations

from typing import NamedTuple

from ..output.formats import CiMode, OutputFormat, SummaryFormat
from ..output.timestamps import TimestampMode
from ..settings.buildref import BuildRef
from ..settings.session import ApiOptions

DEFAULT_WAIT = 45 * 60.0  # builds time out after 20 minutes; queues and stuck builds exist


class LogOptions(NamedTuple):
    output: OutputFormat = OutputFormat.TEXT
    timestamps: TimestampMode = TimestampMode.LOCAL
    color: str = "auto"
    tail: int | None = None
    follow: bool = False
    interval: float = 2.0
    timeout: float = DEFAULT_WAIT
    exit_status: bool = False
    errors: bool = False
    context: int = 3
    phases: frozenset[str] | None = None
    redact: bool = False
    summary: SummaryFormat | None = None  # print the summary instead of the log
    ci: CiMode = CiMode.NONE  # GitHub's groups and files, GitLab's sections (README, "In CI")
    require_deploy: bool = False  # a success that deployed nothing is exit 7
    compare: bool = False  # summary --compare: what is new since the last good build


class Target(NamedTuple):
    """The build to read, and what is known of its Worker: `label` to show, `name` for the
    dashboard URL (a tag is no name), `environment` from a dashboard URL."""

    build_uuid: str
    label: str | None = None
    name: str | None = None
    environment: str | None = None

    @classmethod
    def of(cls, ref: BuildRef) -> Target:
        return cls(ref.uuid, ref.worker, ref.worker, ref.environment)


class GetOptions(NamedTuple):
    build: BuildRef
    api: ApiOptions = ApiOptions()
    log: LogOptions = LogOptions()
    worker: str | None = None  # --worker: where to find a build named by a short id


class LatestOptions(NamedTuple):
    workers: tuple[str, ...] = ()  # names or tags; none: the folder's, or every one with all_
    all_workers: bool = False
    branch: str | None = None
    commit: str | None = None
    wait: bool = False
    api: ApiOptions = ApiOptions()
    log: LogOptions = LogOptions()


class ListOptions(NamedTuple):
    worker: str | None = None
    branch: str | None = None
    limit: int = 20
    output: OutputFormat = OutputFormat.TEXT
    color: str = "auto"
    api: ApiOptions = ApiOptions()


class TriggersOptions(NamedTuple):
    worker: str | None = None
    output: OutputFormat = OutputFormat.TEXT
    color: str = "auto"
    api: ApiOptions = ApiOptions()


class ViewOptions(NamedTuple):
    source: str  # a path, or "-" for standard input
    log: LogOptions
    as_text: bool = False  # --input text: a message a line, whatever the file holds


class LoginOptions(NamedTuple):
    api: ApiOptions = ApiOptions()
    with_token: bool = False
    email: str | None = None


class ActOptions(NamedTuple):
    """What rerun, build and cancel share (README, "Acting on builds")."""

    api: ApiOptions = ApiOptions()
    follow: LogOptions | None = None  # --follow: the new build is read as `get --follow` reads
    dry_run: bool = False  # print the writes instead of making them
    worker: str | None = None  # --worker: where to find a build named by a short id


class RerunOptions(NamedTuple):
    build: BuildRef
    clear_cache: bool = False
    act: ActOptions = ActOptions()


class BuildOptions(NamedTuple):
    worker: str | None  # a name or tag; None: the folder's
    branch: str
    commit: str | None = None  # a hex prefix, or "head"
    trigger: str | None = None  # a trigger's name or UUID, when several take the branch
    act: ActOptions = ActOptions()
