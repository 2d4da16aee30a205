"""GridMenu: a `TensorGrid`'s context menu — the cell under the pointer, copy and paste,
fill the selection, the slice on screen or the whole tensor, import and export as .npy,
zoom to fit. Its actions run the editor's copy, paste and fill (`grid_edits.GridEdits`) or
leave as the editor's ``importRequested`` / ``exportRequested``.

`GridMenu` is a mixin for `grid_editor.GridEditor`: it reads ``grid``, ``_seed``,
``_selection()``, ``_select()`` and ``_index_at()``.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from ..fills import FILLS, PLANAR, fill_axes


class GridMenu:
    """The context menu of a grid's editor (see the module docstring)."""

    def build_menu(self, pos: QPointF | None = None) -> QMenu:
        """The grid's context menu (built fresh each time; tests trigger its actions)."""
        g = self.grid
        menu = QMenu(g)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if pos is not None and (cell := g.plane_cell(pos)) is not None:
            menu.addAction(g.describe(*cell)).setEnabled(False)
            menu.addSeparator()
        sel = self._selection()
        if g.real_shape() is None:
            menu.addAction("(nothing to show)").setEnabled(False)
            return menu
        slice_title = _slice_title(g)
        copy = "Copy selection" if not sel.empty else "Copy slice"
        if sel.empty and g.spec is not None and g.spec.dims == 1:  # a strip: say which
            copy = "Copy " + (slice_title.removeprefix("Fill ") if slice_title else
                              f"all of {g.info.symbol}")
        self._add(menu, copy, ("copy",), QKeySequence.StandardKey.Copy)
        if g.editable and g.array is not None and g.array.size:
            self._add(menu, "Paste", ("paste",), QKeySequence.StandardKey.Paste)
            menu.addSeparator()
            scopes = [("slice", slice_title), ("tensor", f"Fill all of {g.info.symbol}")]
            if not sel.empty:
                scopes.insert(0, ("selection", "Fill selection"))
            if g.array.ndim == 1 or not slice_title:
                scopes = [s for s in scopes if s[0] != "slice"]
            for scope, title in scopes:
                sub = menu.addMenu(title)
                for item in FILLS:
                    if item is None:
                        sub.addSeparator()
                        continue
                    kind, label = item
                    if kind in PLANAR and fill_axes(g.spec, scope) < 2:
                        continue  # (no rows to take y along)
                    if kind == "random":
                        label = f"{label} (seed {self._seed + 1})"
                    self._add(sub, label, ("fill", kind, scope))
        menu.addSeparator()
        if g.editable:
            self._add(menu, f"Import {g.name} from .npy…", ("import",))
        self._add(menu, f"Export {g.name} as .npy…", ("export",))
        self._add(menu, "Zoom to fit", ("fit",))
        menu.triggered.connect(self._on_menu_triggered)
        return menu

    @staticmethod
    def _add(menu: QMenu, text: str, data: tuple, shortcut=None) -> QAction:
        action = menu.addAction(text)
        action.setData(data)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _on_menu_triggered(self, action: QAction) -> None:
        data = action.data()
        if not data:
            return
        if data[0] == "copy":
            self.copy()
        elif data[0] == "paste":
            self.paste()
        elif data[0] == "fill":
            self.fill(data[1], data[2])
        elif data[0] == "fit":
            self.grid.fit()
        elif data[0] == "import":
            self.importRequested.emit(self.grid.name)
        elif data[0] == "export":
            self.exportRequested.emit(self.grid.name)

    def _on_vb_contextRequested(self, pos: QPointF, screen: QPoint) -> None:
        index = self._index_at(pos)
        sel = self._selection()
        if index is not None and index not in sel.cells():
            self._select(index)
        self.build_menu(pos).popup(screen)


#: What one index of a leading axis picks, in a Conv1d strip's fill menu.
_PICKS = {"n": "sample", "o": "filter"}


def _slice_title(grid) -> str:
    """The "Fill …" entry for the slice on screen. A Conv1d strip shows every channel of
    one sample (one filter of the weight) at once: "this slice" read as one row (review r12
    F14), so it says which; none when the strip is the whole tensor (unbatched)."""
    spec, lead = grid.spec, grid.lead
    if spec is None or spec.dims != 1:
        return "Fill this slice"
    if len(lead) != 1:
        return ""
    axis = grid.info.lead_axes[0]
    return f"Fill {_PICKS.get(axis, axis)} {axis} = {lead[0]} (all channels)"
