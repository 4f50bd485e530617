"""The interactive screening loop, without terminal I/O: keys in, a ``View`` out.

``Session.handle_key`` takes one key; ``Session.view()`` says what to show. The CLI
(``screener.tui``) reads keys from the terminal and renders the view; tests feed a
list of keys. Every decision is committed to the ledger before the next record is
chosen. The model retrains in a background thread after each decision; the next
record comes at once from the newest ranking that is ready, so the reviewer never
waits for a fit. Opening a session rebuilds the learner from the ledger (or takes the
project's saved model of this ledger); each decision then runs ``active.step`` on that
one learner, warm-started under its fit policy, as a simulation does. Skips and the
undo stack belong to one sitting; everything else is in the project and a new session
continues where the last one stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from dataclasses import dataclass, field
from re import Pattern

import numpy as np
import pandas as pd

from screener.active import ActiveLearner, step
from screener.conflicts import STAGE_NAMES
from screener.errors import ConfigError
from screener.explain import CharWordExplainer, TermExplainer
from screener.features import record_text
from screener.labels import queue_labels, training_labels
from screener.project import Pool, current_model, fit_learner, register_model
from screener.project.advice import Advice, draw_sample, headline, pending_sample, stopping_advice
from screener.project.create import project_criteria
from screener.project.reviewers import exclusion_reasons
from screener.project.store import UNDONE, ProjectBusy, Store
from screener.project.votes import MAX_NOTE, ReviewerLedger, project_labels

DECISION_KEYS = {"i": "include", "e": "exclude", "m": "maybe"}
HELP = "i include · e exclude · m maybe · s skip · u undo · n note · r reason · w why (terms down too) · q quit"
WHY_TERMS = 5  # terms shown per direction
ENTER, ESCAPE, BACKSPACE = ("\r", "\n"), "\x1b", ("\x7f", "\b")
SAVE_WAIT_S = 2.0  # a decision waits this long for another writer, then is shown as not saved (and retried)
QUIT_WAIT_S = 30.0  # quitting with a decision not saved yet: the last, longer try


@dataclass
class Progress:
    pool: int
    screened: int
    included: int
    excluded: int
    maybe: int
    estimated_unseen: float  # sum of the calibrated scores of unscreened records
    model_version: int
    training: bool
    stopping: str | None = None  # the followed stopping rule's verdict and the recall estimate

    @property
    def share(self) -> float:
        return self.screened / self.pool if self.pool else 1.0


@dataclass
class View:
    """Everything a renderer needs; ``record`` is None when the queue is empty."""

    record: dict | None
    progress: Progress
    mode: str  # "decide", "note" or "reason"
    reasons: tuple[str, ...]
    pending_reason: str | None
    pending_note: str | None
    note_buffer: str
    message: str
    highlight: Pattern | None
    done: bool
    acknowledged: list[str] = field(default_factory=list)  # decisions committed by the last key
    notice: str = ""  # said once: a stopping rule asks for random records, and why
    who: str = ""  # who is screening, at which stage, in which mode
    highlight_exclude: Pattern | None = None  # the criteria's exclusion terms


def queue_of(labels: np.ndarray, open_: np.ndarray | None) -> np.ndarray:
    """The learner's queue labels: unscreened rows, or exactly the ``open_`` rows when given."""
    if open_ is None:
        return queue_labels(labels)
    return np.where(open_, -1, 2).astype(np.int8)


TRAINER_NICE = 10  # how much lower a trainer thread's CPU priority is than the thread that serves keys


def ranking_views(learner) -> dict | None:
    """For the interleave, each view's ranks of the records and its model's weights as they stand
    (what explains the queue just made); ``None`` for a single model."""
    members = getattr(learner, "members_", None)
    if members is None or len(members) != 2 or getattr(learner, "ranks_", None) is None:
        return None
    return {"ranks": learner.ranks_, "coefs": [getattr(m, "coef_", None) for m in members]}


def lower_priority(by: int = TRAINER_NICE) -> None:
    """Lower the calling thread's CPU priority by ``by`` nice steps (on Linux a thread has its own
    nice value), where the OS allows it: a fit then takes only the CPU the reviewer's keys leave."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))
    except (AttributeError, OSError):  # no setpriority (Windows), or not allowed
        pass


class Trainer:
    """Runs ``active.step`` with one learner on the newest labels, in one background thread (or inline).

    The learner is warm-started from fit to fit (its fit policy). A request made while a fit
    runs supersedes any older waiting one, so in the background the fits made (and so the warm
    starts) depend on the reviewer's pace; inline (``background=False``) every decision gets its
    fit and the queue is what a simulation of the same decisions gives.
    """

    def __init__(self, pool: Pool, learner: ActiveLearner, *, background: bool = True,
                 gate: threading.Semaphore | None = None):
        self.pool, self.learner, self.background = pool, learner, background
        self.gate = gate  # shared by the trainers of a server's sessions: at most its count fit at once
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._request: tuple[np.ndarray, int] | None = None
        self._result: tuple | None = None
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None

    def _fit(self, labels: np.ndarray, n_ledger: int, open_: np.ndarray | None = None) -> tuple:
        result = step(self.learner, self.pool.X, training_labels(labels), candidates=queue_of(labels, open_),
                      pseudo=self.pool.pseudo, n=None)
        return self.learner, labels, n_ledger, result.scores, result.queue, ranking_views(self.learner)

    def request(self, labels: np.ndarray, n_ledger: int, open_: np.ndarray | None = None) -> None:
        if not self.background:
            self._result = self._fit(labels, n_ledger, open_)
            return
        with self._lock:
            self._request = (labels, n_ledger, open_)  # an older waiting request is superseded
            self._wake.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="screener-trainer", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        lower_priority()  # the reviewer's keys (or requests) come before the next fit
        while True:
            with self._lock:
                while self._request is None and not self._stopped:
                    self._wake.wait()
                if self._stopped:
                    return
            with self.gate if self.gate is not None else contextlib.nullcontext():
                with self._lock:  # the newest request, taken once the gate lets this trainer fit
                    if self._stopped:
                        return
                    request, self._request, self._busy = self._request, None, True
                result = self._fit(*request)
            with self._lock:
                self._result, self._busy = result, False

    @property
    def busy(self) -> bool:
        return self._busy or self._request is not None

    def poll(self) -> tuple | None:
        """The newest finished fit not yet taken, if any."""
        with self._lock:
            result, self._result = self._result, None
        return result

    def wait(self, timeout: float = 30.0) -> None:
        """Block until no fit is pending (tests and benchmarks use it for determinism)."""
        import time
        end = time.monotonic() + timeout
        while self.busy and time.monotonic() < end:
            time.sleep(0.002)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread, after the fit it is running (if any): the learner is then left alone."""
        with self._lock:
            self._stopped = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout)


class Session:
    """One reviewer's sitting on a project (``store`` stays owned by the caller)."""

    def __init__(self, store: Store, pool: Pool, *, reviewer: str | None, background: bool = True,
                 retrain: bool = False, stopping_rule: str | None = None, advise_every: int = 1,
                 stage: str = "ta", maybes: bool = False, fit_gate: threading.Semaphore | None = None):
        if reviewer is not None and not reviewer.strip():
            raise ValueError("reviewer must be a non-empty name")
        if not isinstance(advise_every, int) or advise_every < 1:
            raise ValueError(f"advise_every must be an integer >= 1, got {advise_every!r}")
        # the rule whose advice is shown: the project's (its settings) unless the caller names one
        self.stopping_rule = pool.settings.stopping_rule if stopping_rule is None else stopping_rule
        self.advise_every = advise_every
        self.advice: Advice | None = None
        self.notice = ""
        self._since_advice = 0
        # What this reviewer may see, train on and be served at this stage (blind in dual mode).
        self.ledger = ReviewerLedger(store, reviewer, stage, maybes=maybes)
        self.store, self.pool, self.reviewer, self.retrain = store, pool, self.ledger.reviewer, retrain
        self.stage, self.team_mode = stage, maybes or not self.ledger.shares_project_state
        view = self.ledger.load(pool.ids)
        self.labels, self.scope = view.labels, view.scope
        self.train = view.train if stage != "ta" else self.labels
        self.open = view.open if self.team_mode else None
        self.row_of = {int(i): r for r, i in enumerate(pool.ids)}
        self.reasons = exclusion_reasons(store)
        self.highlight = pool.criteria.highlight_pattern()
        self.highlight_exclude = pool.criteria.exclude_pattern()
        seed = int(store.get_meta("seed", "0"))
        if self.team_mode:  # a fresh fit on this reviewer's view (a saved model saw every vote)
            learner = fit_learner(pool, self.train, seed=seed, n_ledger=self.ledger.n_rows())
            version = register_model(store, pool, learner, self.train, self.ledger.n_rows(), save=False)
        else:
            learner, version = current_model(store, pool, self.labels, retrain=retrain, save=False)
        first = step(learner, pool.X, training_labels(self.train), candidates=queue_of(self.train, self.open), n=None, fit=False)
        self._use(learner, version, first.scores, first.queue, ranking_views(learner))
        self.trainer = Trainer(pool, learner, background=background, gate=fit_gate)
        self.history: list[tuple[int, int, str, str | None]] = []  # ledger id, row, previous label, reason
        self.skipped: set[int] = set()
        self.mode, self.note_buffer, self.message = "decide", "", ""
        self.pending_reason: str | None = None
        self.pending_note: str | None = None
        self.done = False
        self.unsaved: str | None = None  # a decision that could not be saved yet (retried at the next key)
        self.acknowledged: list[str] = []
        self.current: int | None = None
        self.why_down = False  # 'w' also shows the terms that lowered the score
        self._explainer: TermExplainer | None = None  # built on first use (vocabulary → terms)
        self._char_explainer: CharWordExplainer | None = None  # the same for the character view
        self._refresh_advice(force=True)
        resume = store.get_meta(self._resume_key)
        if (resume is not None and int(resume) in self.row_of and self._needs_vote(self.row_of[int(resume)])
                and self.ledger.taken(int(resume)) is None):
            self._show(self.row_of[int(resume)])
        else:
            self._advance()

    @property
    def _resume_key(self) -> str:
        return f"current_record:{self.reviewer}" + ("" if self.stage == "ta" else f":{self.stage}")

    def _needs_vote(self, row: int) -> bool:
        return self.labels[row] == "" if self.open is None else bool(self.open[row])

    # -- the model and the queue ----------------------------------------------------------------
    def _use(self, learner: ActiveLearner, version: int, scores: np.ndarray, queue: np.ndarray,
             views: dict | None = None) -> None:
        self.learner, self.version, self.scores, self.queue, self.pointer = learner, version, scores, queue, 0
        # taken with the scores: they explain their ranking (the word model's weights, and with the
        # interleave each view's ranks and weights, as they stood when the queue was made)
        self.model_coef = getattr(learner, "coef_", None)
        self.model_views = views

    def _adopt_ready_model(self) -> None:
        result = self.trainer.poll()
        if result is None:
            return
        learner, labels, n_ledger, scores, queue, views = result
        try:
            version = register_model(self.store, self.pool, learner, labels, n_ledger, save=False)
        except ProjectBusy:
            return  # another process is writing: keep the current ranking, the next fit comes soon
        self._use(learner, version, scores, queue, views)

    def _show(self, row: int | None) -> None:
        self.current = row
        self.pending_reason = self.pending_note = None
        if row is not None:
            self.shown_version, self.shown_score = self.version, float(self.scores[row])
            self.shown_coef = self.model_coef  # the model that ranked it explains it
            self.shown_views = self.model_views
            record_id = int(self.pool.ids[row])
            drawn = self.advice is not None and record_id in self.advice.sample_pending
            self.shown_for = "random" if drawn else "ranked"  # ledger data: why this record was shown
            self.shown_draw = self.store.draw_of(record_id) if drawn else None
            try:
                self.store.set_meta(self._resume_key, str(record_id), wait=SAVE_WAIT_S, durable=False)
            except ProjectBusy:
                pass  # only where the next sitting starts: not worth holding the reviewer up

    def _refresh_advice(self, *, force: bool = False) -> None:
        """Recompute the followed rule's verdict (every ``advise_every`` decisions) and, when it asks
        for random records and none are pending, draw them; they are served before the ranking."""
        self._since_advice += 1
        if self.team_mode:  # project-wide advice would show others' votes; 'screener status' has it
            return
        if not force and self._since_advice < self.advise_every:
            return
        self._since_advice = 0
        scores = pd.Series(self.scores, index=self.pool.ids)
        rules = (self.stopping_rule,) if self.stopping_rule.startswith("quant_ci") else (self.stopping_rule, "quant_ci")
        advice = stopping_advice(self.store, rules=rules, scores=scores)
        request = advice.request(advice.verdicts[0].rule)
        if request is not None and not advice.sample_pending:
            try:
                drawn = draw_sample(self.store, request.n, rule=request.rule)
            except ProjectBusy:
                drawn = []  # drawn at a later decision
            if drawn:
                self.notice = (f"random check: the '{request.rule}' stopping rule asks for {len(drawn)} random "
                               f"record{'s' if len(drawn) > 1 else ''} next, because {request.why}")
                advice = dataclasses.replace(advice, sample_pending=tuple(drawn))
        self.advice = advice

    def _random_check(self) -> int | None:
        """The next sampled record to serve (drawn by a stopping rule, not yet decided or skipped)."""
        if self.advice is None:
            return None
        for record_id in pending_sample(self.store) if self.advice.sample_pending else ():
            row = self.row_of.get(int(record_id))
            if row is not None and self.labels[row] == "" and row not in self.skipped:
                return row
        return None

    def _advance(self) -> None:
        self._adopt_ready_model()
        if (row := self._random_check()) is not None:
            return self._show(row)
        for _ in range(2):  # a second pass brings back this sitting's skipped records
            while self.pointer < len(self.queue):
                row = int(self.queue[self.pointer])
                self.pointer += 1
                if not self._needs_vote(row) or row in self.skipped:
                    continue
                other = self.ledger.taken(int(self.pool.ids[row]))
                if other is not None:  # decided meanwhile in another process
                    self.labels[row] = other or self.labels[row]
                    if self.open is not None:
                        self.open[row] = False
                    continue
                self.pointer -= 1
                return self._show(row)
            if not self.skipped:
                break
            self.skipped.clear()
            self.pointer = 0
        self._show(None)

    # -- keys -----------------------------------------------------------------------------------
    def handle_key(self, key: str) -> None:
        """Apply one key press; the decision (if any) is committed before this returns."""
        self.message, self.acknowledged, self.notice = "", [], ""
        if self.unsaved is not None:  # any key retries the decision not saved yet; q retries, then quits
            quit_after = key in ("q", "\x03", "\x04")
            self._decide(self.unsaved, wait=QUIT_WAIT_S if quit_after else SAVE_WAIT_S)
            self.done = quit_after
            return
        if self.mode == "note":
            return self._note_key(key)
        if self.mode == "reason":
            return self._reason_key(key)
        key = key.lower() if len(key) == 1 else key
        if key in DECISION_KEYS:
            if self.current is None:
                self.message = "nothing left to screen; press q to quit"
                return
            self._decide(DECISION_KEYS[key])
        elif key == "s" and self.current is not None:
            self.skipped.add(self.current)
            self._advance()
        elif key == "u":
            self._undo()
        elif key == "n" and self.current is not None:
            self.mode, self.note_buffer = "note", self.pending_note or ""
        elif key == "r" and self.current is not None:
            if not self.reasons:
                self.message = "the criteria file lists no exclusion reasons"
            else:
                self.mode = "reason"
        elif key == "w":
            self.why_down = not self.why_down
            self.message = ("also showing the terms that lowered the score (w to hide them)" if self.why_down
                            else "showing the terms that raised the score")
        elif key in ("q", "\x03", "\x04"):
            self.done = True
        elif key in ENTER or key == " ":
            pass
        else:
            self.message = HELP

    def _note_key(self, key: str) -> None:
        if key in ENTER:
            self.pending_note, self.mode = self.note_buffer.strip() or None, "decide"
        elif key == ESCAPE:
            self.mode = "decide"
        elif key in BACKSPACE:
            self.note_buffer = self.note_buffer[:-1]
        elif key.isprintable():
            self.note_buffer += key

    def _reason_key(self, key: str) -> None:
        if key == ESCAPE:
            self.mode = "decide"
        elif key.isdigit() and 1 <= int(key) <= len(self.reasons):
            self.pending_reason, self.mode = self.reasons[int(key) - 1], "decide"
        else:
            self.message = f"choose a reason 1-{len(self.reasons)} (Esc to cancel)"

    # -- the same decisions as whole requests (the browser sends a label with its reason and note) ------
    def _check_request(self, label: str, reason: str | None, note: str | None) -> tuple[str | None, str | None]:
        if label not in DECISION_KEYS.values():
            raise ConfigError(f"decision {label!r}: use one of {', '.join(DECISION_KEYS.values())}")
        reason = (reason or "").strip() or None
        if reason is not None and reason not in self.reasons:
            listed = "; ".join(self.reasons) or "none yet"
            raise ConfigError(f"reason {reason[:80]!r} is not in this project's list ({listed}); nothing was saved")
        if reason is not None and label != "exclude":
            raise ConfigError(f"a reason goes with an exclusion, not with {label}; nothing was saved")
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise ConfigError(f"a note is at most {MAX_NOTE:,} characters (this one has {len(note):,}); "
                              "nothing was saved")
        return reason, note

    def decide(self, label: str, *, reason: str | None = None, note: str | None = None) -> bool:
        """Decide the shown record with its reason and note (what n, r and a decision key do), checked first.

        Returns whether the decision was committed (then the next record is shown); a refusal
        leaves ``message`` saying why. Raises ``ConfigError`` for an unknown label or reason or
        a note over ``MAX_NOTE`` characters: nothing is saved then.
        """
        reason, note = self._check_request(label, reason, note)
        self.message, self.acknowledged, self.notice, self.mode = "", [], "", "decide"
        if self.current is None:
            self.message = "nothing left to screen"
            return False
        self.pending_reason, self.pending_note = reason, note
        self._decide(label)
        return bool(self.acknowledged)

    def own_decision(self, record_id: int) -> dict | None:
        """This reviewer's live vote on a record at this stage (None when they have none)."""
        row = self.store.latest_vote(int(record_id), self.reviewer, self.stage)
        return None if row is None or row["label"] == UNDONE else row

    def revise(self, record_id: int, label: str, *, reason: str | None = None, note: str | None = None) -> bool:
        """Change one of this reviewer's earlier decisions: a new ledger row (u undoes it, as any decision).

        The shown record stays; ``ConfigError`` (nothing saved) for a record without a vote of theirs.
        """
        reason, note = self._check_request(label, reason, note)
        self.message, self.acknowledged, self.notice = "", [], ""
        record_id = int(record_id)
        row = self.row_of.get(record_id)
        previous = self.own_decision(record_id) if row is not None else None
        if previous is None:
            raise ConfigError(f"record {record_id} has no decision of yours at this stage to change; nothing was saved")
        if self.stage == "ft" and label == "exclude" and reason is None:
            self.message = "a full-text exclusion needs a reason: choose one, then exclude"
            return False
        ledger_previous = self.ledger.previous(record_id)
        try:
            ledger_id = self.ledger.vote(record_id, label, reasons=(reason,) if reason else (), note=note,
                                         model_version=self.version, score=float(self.scores[row]),
                                         shown_for="ranked", wait=SAVE_WAIT_S)
        except ProjectBusy:
            self.message = f"NOT SAVED: changing record {record_id}; another process is writing to the project"
            return False
        self.history.append((ledger_id, row, self.labels[row],
                             ledger_previous["reason"] if ledger_previous else None, self.train[row]))
        self.labels[row] = label
        if self.train is not self.labels and label in ("include", "exclude"):
            self.train[row] = label
        was = previous["label"] + (f" ({previous['reason']})" if previous.get("reason") else "")
        self.acknowledged = [f"saved #{ledger_id}: record {record_id} changed from {was} to {label}"]
        self.message = self.acknowledged[0]
        self.trainer.request(self.train.copy(), self.ledger.n_rows(), self._open_copy())
        self._refresh_advice()
        return True

    def withdraw(self, record_id: int) -> None:
        """A record left this reviewer's queue other than by their vote (its full text was marked not
        retrieved): it is not served again in this sitting, and if it is the shown one the next comes."""
        row = self.row_of.get(int(record_id))
        if row is None:
            return
        if self.open is not None:
            self.open[row] = False
        if self.current == row:
            self._advance()

    def refresh_criteria(self) -> None:
        """Read the project's criteria again if they were edited meanwhile: highlighting and the reasons list."""
        seen = (self.store.get_meta("criteria_text", ""), tuple(self.store.custom_reasons()))
        if seen == getattr(self, "_criteria_seen", None):
            return
        self._criteria_seen = seen
        criteria = project_criteria(self.store)
        self.reasons = exclusion_reasons(self.store)
        self.highlight, self.highlight_exclude = criteria.highlight_pattern(), criteria.exclude_pattern()

    def _decide(self, label: str, *, wait: float | None = None) -> None:
        """Save the decision (waiting up to ``SAVE_WAIT_S`` for another writer), or show it as not saved."""
        row = self.current
        record_id = int(self.pool.ids[row])
        reason = self.pending_reason if label == "exclude" else None
        if self.stage == "ft" and label == "exclude" and reason is None:
            self.message = "a full-text exclusion needs a reason: press r, choose one, then e"
            return
        previous = self.ledger.previous(record_id)
        try:
            ledger_id = self.ledger.vote(
                record_id, label, reasons=(reason,) if reason else (), note=self.pending_note,
                model_version=self.shown_version, score=self.shown_score, shown_for=self.shown_for,
                draw_id=self.shown_draw, wait=SAVE_WAIT_S if wait is None else wait)
        except ProjectBusy:
            self.unsaved = label
            self.message = (f"NOT SAVED: {label} record {record_id}; another process is writing to the project. "
                            "Press any key to retry")
            return
        self.unsaved = None
        self.history.append((ledger_id, row, self.labels[row],
                             previous["reason"] if previous else None, self.train[row]))
        self.labels[row] = label
        if self.train is not self.labels and label in ("include", "exclude"):
            self.train[row] = label
        if self.open is not None:
            self.open[row] = False
        self.acknowledged = [f"saved #{ledger_id}: {label} record {record_id}"]
        self.message = self.acknowledged[0]
        self.trainer.request(self.train.copy(), self.ledger.n_rows(), self._open_copy())
        self._refresh_advice()
        self._advance()

    def _open_copy(self) -> np.ndarray | None:
        return None if self.open is None else self.open.copy()

    def _undo(self) -> None:
        if not self.history:
            self.message = "nothing to undo in this sitting"
            return
        ledger_id, row, previous, reason, train = self.history.pop()
        record_id = int(self.pool.ids[row])
        try:
            new_id = self.ledger.vote(record_id, previous or UNDONE, reasons=(reason,) if reason else (),
                                      note="undo", undoes=ledger_id, shown_for="undo", wait=SAVE_WAIT_S)
        except ProjectBusy:
            self.history.append((ledger_id, row, previous, reason, train))
            self.message = "NOT SAVED: the undo; another process is writing to the project. Press u to retry"
            return
        self.labels[row] = previous
        self.train[row] = train
        if self.open is not None:
            self.open[row] = previous == "" or (self.ledger.maybes and previous == "maybe")
        self.acknowledged = [f"saved #{new_id}: undid #{ledger_id} (record {record_id})"]
        self.message = self.acknowledged[0]
        self.trainer.request(self.train.copy(), self.ledger.n_rows(), self._open_copy())
        self._refresh_advice()
        if self.open is None and previous == "" or self.open is not None and self.open[row]:
            self._show(row)

    # -- what to show ---------------------------------------------------------------------------
    def progress(self) -> Progress:
        labels = self.labels[self.scope]
        unseen = labels == ""
        return Progress(
            pool=len(labels), screened=int((~unseen).sum()), included=int((labels == "include").sum()),
            excluded=int((labels == "exclude").sum()), maybe=int((labels == "maybe").sum()),
            estimated_unseen=float(self.scores[self.scope][unseen].sum()), model_version=self.version,
            training=self.trainer.busy, stopping=self._stopping_line())

    def _stopping_line(self) -> str | None:
        if self.advice is None or not self.advice.verdicts:
            return None
        v = self.advice.verdicts[0]
        return f"stopping ({v.rule}, target {self.advice.target:g}): {headline(self.advice, v.rule)}"

    def record(self) -> dict | None:
        if self.current is None:
            return None
        return self._record(self.current, self.shown_score, self.shown_coef, self.shown_views)

    def record_at(self, record_id: int) -> dict | None:
        """Any record of the pool as ``record()`` gives the shown one, scored and explained by the current
        model (the browser's list view shows one's earlier decisions this way); None if not in the pool."""
        row = self.row_of.get(int(record_id))
        if row is None:
            return None
        return self._record(row, float(self.scores[row]), self.model_coef, self.model_views)

    def _record(self, row: int, score: float, coef, views: dict | None = None) -> dict:
        rec = self.pool.records.iloc[row]
        return {"record_id": int(rec["id"]), "title": rec["title"], "abstract": rec["abstract"],
                "year": None if pd.isna(rec["year"]) else int(rec["year"]),
                "journal": rec["journal"], "authors": rec["authors"], "keywords": rec["keywords"],
                "source": rec["source"], "score": score,
                "random_check": self.advice is not None and int(rec["id"]) in self.advice.sample_pending,
                **self._why(row, coef, views)}

    def why(self) -> dict:
        """The terms that raised the shown record's score (``why_up``) and, after 'w', lowered it (``why_down``)."""
        if self.current is None:
            return {"why_up": [], "why_down": []}
        return self._why(self.current, self.shown_coef, self.shown_views)

    def _why(self, row: int, coef, views: dict | None = None) -> dict:
        """The terms of the view that put the record where it is: the word model's, or with the
        interleave the character model's when its rank of the record was the better one (in words,
        ``CharWordExplainer``); ``why_view`` names the view."""
        features = self.pool.features
        char = getattr(features, "char", None)
        if views is not None and char is not None and views["coefs"][1] is not None:
            ranks = views["ranks"][:, row]
            if ranks.min() >= 0 and ranks[1] < ranks[0]:
                if self._char_explainer is None:
                    self._char_explainer = CharWordExplainer(n_terms=WHY_TERMS, ngram_range=tuple(char.ngram_range))
                    self._char_explainer.fit(char.terms_)
                text = record_text(self.pool.records.iloc[[row]], tuple(char.fields)).iloc[0]
                x, c = self.pool.X[1][row], views["coefs"][1]
                return {"why_up": self._char_explainer.explain(x, c, text, direction="up"),
                        "why_down": self._char_explainer.explain(x, c, text, direction="down") if self.why_down else [],
                        "why_view": "character"}
        if features is None or coef is None:
            return {"why_up": [], "why_down": [], "why_view": None}
        if self._explainer is None:
            self._explainer = TermExplainer(n_terms=WHY_TERMS).fit(features.vectorizer_.vocabulary_)
        x = self.pool.word_X[row]
        return {"why_up": self._explainer.explain(x, coef, direction="up"),
                "why_down": self._explainer.explain(x, coef, direction="down") if self.why_down else [],
                "why_view": "word" if char is not None else None}

    def view(self) -> View:
        return View(record=self.record(), progress=self.progress(), mode=self.mode,
                    reasons=self.reasons, pending_reason=self.pending_reason,
                    pending_note=self.pending_note, note_buffer=self.note_buffer,
                    message=self.message, highlight=self.highlight, done=self.done,
                    acknowledged=list(self.acknowledged), notice=self.notice, who=self.who(),
                    highlight_exclude=self.highlight_exclude)

    def who(self) -> str:
        mode = self.ledger.mode + (" blind" if self.ledger.blind else "")
        queue = " · my maybes" if self.ledger.maybes else ""
        return f"reviewer {self.reviewer} · {STAGE_NAMES[self.stage]} · {mode} screening{queue}"

    def close(self) -> None:
        """Stop the trainer; save the model of the final ledger and its scores (for status/export).

        Raises ``ProjectBusy`` (one line) if a decision is still not saved: it is never dropped silently.
        """
        self.trainer.stop()
        if self.unsaved is not None:
            raise ProjectBusy(f"{self.message.partition(';')[0]}: the project stayed busy; screen it again "
                              "when the other process is done")
        labels = project_labels(self.store, self.pool.ids)  # decided outcomes of every reviewer
        learner, version = current_model(self.store, self.pool, labels, retrain=self.retrain)
        self.store.set_scores(self.pool.ids, learner.scores(self.pool.X), version)
