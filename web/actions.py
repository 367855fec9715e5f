"""Each case action's name in words: the accessible name of its button, in one place."""

from __future__ import annotations

from domain.lifecycle import Action

# The README's action table names actions by their ids; people read them as these words.
_WORDS = {
    Action.PROVIDE_INFO: "Provide information",
    Action.APPLY_VOLUNTARY: "Apply for voluntary exit",
}

ACTION_NAMES: dict[Action, str] = {
    action: _WORDS.get(action, action.value.replace("-", " ").capitalize()) for action in Action
}
