"""ExplainController: where every number comes from, wired to the views.

Listens to the `SelectionModel` (selection, hover) and to the computed results; asks
`core.explain` for the terms of the selected entry and `gui.provenance` for the cells they
touch; drives the tensor grids' highlights, the `EquationPanel`, the `PlayerBar` and the
`Im2colView`. Holds only transient view state (the terms on screen, the sweep); the
animation step itself lives in the `Selection` (``Selection.step``).

    SelectionModel ─selectionChanged─▶ ExplainController ─set_highlight/set_links─▶ grids
    PlayerBar / EquationPanel ─stepRequested─▶ (selection.with_step) ─▶ set_terms ─▶ panels
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence

from core.explain import SOURCES, TARGETS, Terms, explain_spec, readers
from core.im2col_steps import im2col_entries, im2col_steps

from .compute import ComputeResult
from .padded_frame import padded_grid
from .provenance import NO_HIGHLIGHTS, Highlights, Provenance, entry_at, entry_count, sweep
from .selection import NOTHING, Selection, SelectionModel, fits
from .widgets.equation_panel import EquationPanel
from .widgets.im2col_view import IM2COL_MAX_ENTRIES, Im2colView
from .widgets.plane_axes import follow_depth
from .widgets.player import PlayerBar

#: Highlight styles the explainer draws on the grids (hover has its own layer).
STYLES = ("window", "read", "done", "source", "write", "current", "pending")
_NO_CELLS = np.zeros((0, 0), np.int64)
HOVER_MS = 15  # hover look-ups are coalesced: at most one per this many milliseconds


class ExplainController(QObject):
    """See the module docstring."""

    def __init__(
        self,
        selection: SelectionModel,
        grids: Mapping[str, object],
        equation: EquationPanel,
        player: PlayerBar,
        im2col: Im2colView,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.selection, self.grids = selection, grids
        self.equation, self.player, self.im2col = equation, player, im2col
        self._result: ComputeResult | None = None
        # (tensor, index, session) of the terms on screen. The key holds the session itself:
        # Session compares by identity, and a held object's identity is never reused, which
        # an id(...) of a freed one is (a stale sum after two quick edits).
        self._key: tuple | None = None
        self.terms: Terms | None = None
        self.provenance: Provenance | None = None
        self.step: int | None = None
        self.sweeping: str | None = None  # the tensor 'Animate all' sweeps
        self._sweep_position = 0
        self._applied: dict[tuple[str, str], object] = {}  # what each grid layer shows
        self._im2col_key: tuple | None = None
        self._hover = NOTHING
        self._moved: tuple | None = None  # (entry, step, spec) the selectors last moved for
        self._hover_timer = QTimer(self, singleShot=True, interval=HOVER_MS)
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)
        self._build_actions()
        selection.selectionChanged.connect(self._on_selection_selectionChanged)
        selection.hoverChanged.connect(self._on_selection_hoverChanged)
        player.stepRequested.connect(self.request_step)
        player.animateAllRequested.connect(self.set_animate_all)
        equation.stepRequested.connect(self.request_step)
        equation.termHovered.connect(self._on_equation_termHovered)
        im2col.sampleRequested.connect(self._on_im2col_sampleRequested)
        im2col.dataRequested.connect(self._update_im2col)
        self._hover_timer.timeout.connect(self._on_hover_timer_timeout)
        self._refresh_timer.timeout.connect(self._on_refresh_timer_timeout)

    def _build_actions(self) -> None:
        def action(text: str, key: str, slot) -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(key))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.triggered.connect(slot)
            a.setEnabled(False)
            return a

        self.play_action = action("&Play / pause", "Space", self.toggle_playing)
        self.back_action = action("Step &back", "Left", self.step_back)
        self.forward_action = action("Step &forward", "Right", self.step_forward)
        self.clear_action = action("&Clear selection", "Esc", self.clear)

    def actions(self) -> list[QAction]:
        return [self.play_action, self.back_action, self.forward_action, self.clear_action]

    # -- inputs --------------------------------------------------------------------------
    def set_result(self, result: ComputeResult) -> None:
        """New results (a new session or spec): explain the selection again with them, once
        every view has taken them (the next turn of the event loop)."""
        self._result = result
        self._im2col_key = None
        if self.sweeping:  # the player must not step past a tensor that shrank
            self.player.set_count(entry_count(result.session.spec, self.sweeping), unit="entry")
        self._refresh_timer.start()

    def reset(self) -> None:
        """A new document (a preset, an opened file, New): stop playing and sweeping, and
        forget the step, the hover and the im2col sample, which belonged to the old one."""
        self.player.playback.pause()
        self.set_animate_all(False)
        self._im2col_key = None
        self.selection.set_hover(NOTHING)
        sel = self.selection.selection
        if sel.step is not None:
            self.selection.set_selection(sel.with_step(None))

    def _on_refresh_timer_timeout(self) -> None:
        self._explain(self.selection.selection)
        self._update_im2col()

    def _on_selection_selectionChanged(self, sel: Selection) -> None:
        if self.sweeping and (sel.tensor != self.sweeping or sel.empty):
            self.set_animate_all(False)
        self._explain(sel)

    def _on_selection_hoverChanged(self, hover: Selection) -> None:
        self._hover = hover
        self._hover_timer.start()

    def _on_im2col_sampleRequested(self, sample: int) -> None:
        self._im2col_key = None
        self._update_im2col(sample)

    # -- user intent ---------------------------------------------------------------------
    def request_step(self, step: int) -> None:
        """Go to term ``step`` of the selected entry (sweeping: to entry ``step``)."""
        sel = self.selection.selection
        if self.sweeping:
            spec = self._result.session.spec
            if not 0 <= step < entry_count(spec, self.sweeping):  # the tensor shrank
                self.set_animate_all(False)
                return
            self._sweep_position = step
            self.selection.set_selection(Selection(self.sweeping, entry_at(spec, self.sweeping,
                                                                            step)))
        elif self.terms is not None:
            self.selection.set_selection(sel.with_step(step))

    def step_forward(self) -> None:
        if self.sweeping or self.step is not None:
            self.player.step_forward()
        elif self.terms is not None and len(self.terms):
            self.request_step(0)

    def step_back(self) -> None:
        if self.sweeping or self.step is not None:
            self.player.step_back()
        elif self.terms is not None and len(self.terms):
            self.request_step(len(self.terms) - 1)

    def toggle_playing(self) -> None:
        self.player.toggle()

    def clear(self) -> None:
        self.player.playback.pause()
        self.set_animate_all(False)
        self.selection.clear()

    def set_animate_all(self, on: bool) -> None:
        """Sweep the selected result tensor (output if none), entry by entry, or stop."""
        self.player.set_animate_all(on)
        if not on:
            if self.sweeping:
                self.sweeping = None
                self.player.playback.pause()
                self._explain(self.selection.selection)
            return
        if self._result is None:
            self.player.set_animate_all(False)
            return
        sel = self.selection.selection
        target = sel.tensor if sel.tensor in TARGETS else "output"
        spec = self._result.session.spec
        count = entry_count(spec, target)
        if count == 0:
            self.player.set_animate_all(False)
            return
        shape = self._result.session.spec.shape(target)
        start = 0
        if sel.tensor == target and fits(sel.index, shape):
            start = int(np.ravel_multi_index(sel.index, shape))
        self.sweeping = target
        self.player.set_count(count, unit="entry")
        self.request_step(start)
        self._explain(self.selection.selection)
        self.player.playback.play()

    # -- explaining ----------------------------------------------------------------------
    def _explain(self, sel: Selection) -> None:
        result = self._result
        usable = (
            result is not None
            and not sel.empty
            and sel.tensor in TARGETS
            and not sel.is_block()
            and fits(sel.index, result.session.spec.shape(sel.tensor) or ())
        )
        if not usable:
            self._show_nothing()
            return
        session = result.session
        key = (sel.tensor, sel.index, session)
        if key != self._key:
            self._key = key
            self.terms = explain_spec(session.spec, sel.tensor, sel.index, **session.tensors())
            self.provenance = Provenance(self.terms)
        n = len(self.terms)
        step = None if self.sweeping or sel.step is None or n == 0 else min(sel.step, n - 1)
        self.step = step
        highlights = self.provenance.at(step)
        if self.sweeping:
            self._sweep_position = int(np.ravel_multi_index(
                sel.index, session.spec.shape(sel.tensor)))
            highlights = _merged(highlights, sweep(session.spec, sel.tensor,
                                                   self._sweep_position))
        # the selectors follow a new selection or step, not a recompute: a slice the user
        # picked by hand stays until the selection moves
        moved = (sel.tensor, sel.index, step, session.spec)
        move, self._moved = moved != self._moved, moved
        self._apply(highlights, STYLES, focus_except=sel.tensor, move=move)
        self.equation.set_terms(self.terms, step)
        if self.sweeping:
            self.player.set_count(entry_count(session.spec, self.sweeping), unit="entry")
            self.player.set_step(self._sweep_position)
        else:
            self.player.set_count(n, unit="term")
            self.player.set_step(step)
        self.im2col.set_terms(self.terms, step)
        if sel.tensor in ("output", "grad_input") and session.spec.batched:
            self._update_im2col(sel.index[0])
        self._enable(True)

    def _on_equation_termHovered(self, row: int) -> None:
        """A term of the Sum list under the pointer: show its factors (row -1: none)."""
        prov, sel = self.provenance, self.selection.selection
        if prov is None or self.sweeping:
            return
        if not 0 <= row < len(prov):
            self._apply(NO_HIGHLIGHTS, ("hover",), move=False)
            # back to the step's slice (term 0's without one), a Conv3d grid's depth too
            back = prov.at(None if not len(prov) else self.step or 0)
            for name, lead in back.focus.items():
                if name != sel.tensor and name in self.grids:
                    self.grids[name].set_slice(lead)
                    self._follow_depth(self.grids[name], back, self.terms.spec)
            return
        h = prov.at(row)
        cells = {g: {"hover": st["current"]} for g, st in h.cells.items() if "current" in st}
        self._apply(Highlights(cells, {}, h.focus), ("hover",), focus_except=sel.tensor)

    def _show_nothing(self) -> None:
        self._moved = None
        if self.sweeping:  # nothing left to sweep (a block selected, the tensor gone)
            self.sweeping = None
            self.player.playback.pause()
            self.player.set_animate_all(False)
        self._key, self.terms, self.provenance, self.step = None, None, None, None
        self._apply(NO_HIGHLIGHTS, STYLES)
        self.equation.set_terms(None)
        self.player.set_count(0)
        self.im2col.set_terms(None)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for a in self.actions():
            a.setEnabled(on)

    def _on_hover_timer_timeout(self) -> None:
        hover, result = self._hover, self._result
        highlights = NO_HIGHLIGHTS
        if result is not None and not hover.empty:
            session = result.session
            shape = session.spec.shape(hover.tensor)
            if shape is not None and fits(hover.index, shape):
                look = readers if hover.tensor in SOURCES else explain_spec
                terms = look(session.spec, hover.tensor, hover.index, **session.tensors())
                if hover.padded is not None:  # a border cell: only the reads through it
                    terms = terms[terms.through(hover.padded)]
                highlights = Provenance(terms).hover()
        self._apply(highlights, ("hover",), focus_except=None, move=False)

    # -- drawing -------------------------------------------------------------------------
    def _apply(self, h: Highlights, styles, focus_except: str | None = None,
               move: bool = True) -> None:
        """Give each grid its cells in ``styles`` (and links), skipping unchanged layers.

        A grid that does not show the explained layer's tensor (its document changed and the
        new results are still computing) gets no cells until they arrive.
        """
        spec = None if self._result is None else self._result.session.spec
        shapes = {} if spec is None else {name: spec.shape(name) for name in self.grids}
        for name, grid in self.grids.items():
            shows = grid.array is not None and grid.array.shape == shapes.get(name)
            for style in styles:
                cells = h.get(name, style) if shows else _NO_CELLS
                last = self._applied.get((name, style))
                if cells is last or (len(cells) == 0 and (last is None or len(last) == 0)):
                    continue
                self._applied[name, style] = cells
                grid.set_highlight(cells, style, padded=padded_grid(spec, name))
            if shows and move and name != focus_except and name in h.focus:
                grid.set_slice(h.focus[name])
                self._follow_depth(grid, h, spec)
        grid = self.grids.get("input")
        if grid is not None:
            shows = grid.array is not None and grid.array.shape == shapes.get("input")
            layers = {"hover": ("hover",)} if "hover" in styles else {
                "explain": ("read",), "current": ("current",)}
            for layer, names in layers.items():
                frm, to = h.links.get(names[0], (_NO_CELLS, _NO_CELLS))
                if not shows:
                    frm, to = _NO_CELLS, _NO_CELLS
                if len(frm) or len(self._applied.get(("links", layer), _NO_CELLS)):
                    self._applied["links", layer] = frm
                    grid.set_links(frm, to, layer)

    @staticmethod
    def _follow_depth(grid, h: Highlights, spec) -> None:
        """A Conv3d grid goes to the depth of the current term's cell (the player steps
        through depth too), or to a depth the sum reads when it shows none of them."""
        name = grid.name
        reads, current = h.get(name, "read"), h.get(name, "current")
        if not len(current):  # a term of the Sum list under the pointer: its factors
            current = h.get(name, "hover")
        depth = follow_depth(spec, name, grid.lead, current,
                             reads if len(reads) else h.get(name, "window"),
                             padded_grid(spec, name))
        if depth is not None:
            grid.set_slice((*(None,) * (len(grid.lead) - 1), depth))

    def _update_im2col(self, sample: int | None = None) -> None:
        """Give the im2col view one sample's matrices, computed only when it is on screen."""
        result = self._result
        if result is None or not self.im2col.isVisible():
            self._im2col_key = None
            return
        s = result.session
        n = 1 if s.spec.batch is None else s.spec.batch
        if sample is None:
            # shown anew: the selected entry's sample (it was selected while hidden), or the
            # one on screen before
            sel = self.selection.selection
            picked = sel.tensor in ("output", "grad_input") and s.spec.batched and \
                not sel.empty and len(sel.index) == s.spec.dims + 2
            sample = self._im2col_key[1] if self._im2col_key else \
                sel.index[0] if picked else 0
        sample = min(max(sample, 0), max(n - 1, 0))
        key = (s, sample)  # holds the session: see ``_key``
        if key == self._im2col_key or n == 0:
            return
        self._im2col_key = key
        if im2col_entries(s.spec) > IM2COL_MAX_ENTRIES:  # bounded: never a frozen window
            self.im2col.set_unavailable(
                f"this layer's im2col matrices have {im2col_entries(s.spec):,} entries, over "
                f"the view's limit of {IM2COL_MAX_ENTRIES:,}: make the layer smaller to see them")
            return
        self.im2col.set_steps(im2col_steps(s.spec, s.input, s.weight, s.bias, s.grad_output,
                                           sample))


def _merged(base: Highlights, extra: Highlights) -> Highlights:
    """``base`` with ``extra``'s cells laid over it (grid by grid, style by style)."""
    cells = {g: dict(styles) for g, styles in base.cells.items()}
    for g, styles in extra.cells.items():
        cells.setdefault(g, {}).update(styles)
    return Highlights(cells, base.links, {**base.focus, **extra.focus})
