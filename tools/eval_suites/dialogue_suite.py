"""The `dialogue` suite: messages graded by the text engine (encoding, box layout, required facts,
voice). Every text here is ours; references are laid out, encoded and checked by triforce.text,
and the builder refuses an item its own grader does not pass."""

from __future__ import annotations

from typing import Any

from triforce.evaluate.graders import grade
from triforce.text import Dictionary, encode, format_tokens, parse
from triforce.text.voice import voices
from triforce.text.wrap import break_lines, fit, pace

BOX = (
    "It must fit the ALTTP text box: lines of at most 168 px in the variable-width font with 42 px "
    "for the player's name [L], at most three lines between key presses ([K]). Use the bracket "
    "tokens ([2] and [3] start lines, [K] waits for a key, [V] scrolls) and answer with the message "
    "in a ```text block."
)

# (voice, facts, our text in that voice)
VOICE = [
    (
        "bramble",
        ["Lake Hylia", "east"],
        "Aye, lad. The fog sits low on Lake Hylia today. Row east and keep quiet. Mind the water.",
    ),
    (
        "bramble",
        ["20 rupees", "a lantern"],
        "Another one wants light? A lantern costs 20 rupees, lass. Mind the tide. Off with you.",
    ),
    (
        "pip",
        ["the Lost Woods", "north"],
        "Ooh, a new friend! The Lost Woods are north, way north! I zip there every night! Bye bye!",
    ),
    (
        "pip",
        ["bats", "the Graveyard"],
        "Wow, you came back! Eek, bats live by the Graveyard! Zip past them fast, okay?",
    ),
    (
        "wren",
        ["the Sanctuary", "west"],
        "Breathe slowly, child, for the road has been long and hard. The Sanctuary rests quietly to the west beyond the old stones. Go gently, and let the light walk beside you.",
    ),
    (
        "wren",
        ["an empty bottle", "30 rupees"],
        "Sit with me a while, child, and let your heart grow quiet. The sisters will trade an empty bottle for an offering of 30 rupees. May patience guide your steps tonight.",
    ),
    (
        "marlo",
        ["a bug net", "50 rupees"],
        "Friend, what luck to meet you here! A bug net, the finest in Hyrule, for only 50 rupees. A bargain, friend, and a fair deal!",
    ),
    (
        "marlo",
        ["Kakariko Village", "south"],
        "Coin in your pocket, friend? Kakariko Village lies south, and my cousin sells there. Tell him Marlo sent you, friend!",
    ),
    (
        "tamsin",
        ["the Pyramid", "east"],
        "Hmm[...] they say the Pyramid dreams to the east[...] Perhaps it dreams of you. Go now[...]",
    ),
    (
        "vell",
        ["Hyrule Castle", "soldiers"],
        "Halt, citizen! Soldiers guard Hyrule Castle tonight. Orders are orders. Move along!",
    ),
    (
        "juniper",
        ["Death Mountain", "north"],
        "Fascinating, you must be the traveller from my notes. According to the records, Death Mountain rises to the north. Do come back and tell me what you see.",
    ),
    (
        "gorran",
        ["a blue shield", "100 rupees"],
        "Ha! Welcome, friend! A blue shield, sturdy as steel, for 100 rupees! Ha ha! Off you go!",
    ),
]

# (facts, max lines, text) for `write`: no voice asked
WRITE = [
    (
        ["Master Sword", "Lost Woods", "three pendants"],
        6,
        "Long ago a hero sealed the Master Sword deep in the Lost Woods. Only one who carries the three pendants may draw it from the stone.",
    ),
    (
        ["Zora", "flippers", "500 rupees"],
        6,
        "The Zora king trades flippers to brave swimmers. Bring 500 rupees to the falls and call his name.",
    ),
    (
        ["blacksmith", "frog", "Village of Outcasts"],
        6,
        "A blacksmith lost his partner long ago. Some say a frog in the Village of Outcasts remembers the way home.",
    ),
    (
        ["Desert Palace", "Book of Mudora"],
        6,
        "The words on the Desert Palace door are old. Read them with the Book of Mudora and the sand will open.",
    ),
    (
        ["Ice Palace", "fire rod", "south"],
        6,
        "The Ice Palace sleeps far to the south. Its walls melt only before the fire rod, they say.",
    ),
    (
        ["magic powder", "witch", "mushroom"],
        6,
        "Bring the witch a mushroom from the woods, and she will brew you magic powder by morning.",
    ),
]

# running text for `fit`
FIT = [
    "The well behind the inn has been dry for a week, and nobody knows why. Could you look inside it for us?",
    "[L], the lanterns along the bridge went out last night. Light them again before the ferry comes back.",
    "My grandmother kept a map of every cave on the mountain. I lost it in the snow, somewhere near the old tower.",
    "Three keys open the north gate. The first hangs in the chapel, the second sleeps under the lake, and the third is with me.",
    "Careful now! The floor of this room falls away when you step on the cracked stones. Walk along the walls.",
    "If you can catch the golden bee in the meadow, I will give you a bottle to keep it in. Deal?",
    "The stars were wrong tonight, [L]. The seer says that means a storm is coming from the sea.",
    "Welcome to the lighthouse! We keep the flame burning so that no ship is lost on the rocks below.",
    "You found my lost ring! Please take these 50 rupees as a thank you. I will tell everyone about you!",
    "Shh! The guards change at dawn. Until then, the cellar door is open and nobody is watching it.",
]

# `fix`: messages whose lines overflow (written too long on purpose)
FIX = [
    "[W:02]Please help! My chickens ran off into the tall grass again.[K]",
    "The owl who lives on the hill knows[2]every secret path through these woods and beyond.[K]",
    "Bring me three golden feathers[2]and I will weave you a cloak that the wind cannot touch.[K]",
    "[L], you have grown strong since we last met at the crossroads.[2]Take this.",
    "A monster sleeps under the bridge.[2]Do not wake it, whatever you do, and never cross at night.[3]Go around.",
    "The river mill turns again, thanks to you![2]Here, take a sack of flour to the baker in town.",
    "Listen closely. When the bells ring twice at midnight, the gate opens.[2]Be there.",
    "Our village elder is resting at home.[2]Come back tomorrow morning if you want to speak with her.[K]",
]

# messages for `encode` / `decode` (no dictionary: characters only)
CODED = [
    "[W:02][S:03]Welcome back, [L]![K]",
    "You found 20 rupees.",
    "Press the [A] button to read[2]and the [B] button to run.",
    "[S:00]Hearts [HP4L][HP4R] full!",
    "Which way?[2]    > Left[3]      Right[CH2I]",
    "> Stay here[2]  Go outside[CH2]",
    "[SFX:2D]Done! [...] Or is it?[K][V]Yes, it is.",
    "Score [N:00][N:01][N:02] points.",
    "[C:02]Red text,[2][C:00]plain text.",
    "Wait[WT:05][...] now!",
]

OURS = Dictionary.from_strings(["the ", "you", "  ", "ing", "in"])  # for two greedy items


def _fenced(tokens: Any) -> str:
    return f"```text\n{format_tokens(tokens, newlines=True)}\n```\n"


def _db(data: bytes) -> str:
    lines = ["db " + ", ".join(f"${b:02X}" for b in data[i : i + 16]) for i in range(0, len(data), 16)]
    return "```asm\n" + "\n".join(lines) + "\n```\n"


def _item(iid: str, prompt: str, reference: str, grading: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    item = {
        "id": f"dialogue.{iid}",
        "category": "dialogue",
        "prompt": prompt,
        "reference": reference,
        "grading": {"kind": "dialogue", **grading},
        "tags": ["dialogue", *tags],
    }
    verdict = grade(item["grading"], reference)
    if not verdict.passed:
        raise SystemExit(f"{item['id']}: its reference fails its own grader: {verdict.reason}")
    return item


def _items() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, (key, facts, text) in enumerate(VOICE, start=1):
        v = voices()[key]
        lo, hi = v.sentence_words
        # worded unlike the generator's prompts, so that decontamination does not take every
        # generated sample of this voice for a copy of the item
        prompt = (
            f"You are writing for {v.name} ({v.role}). {v.description[0].upper()}{v.description[1:]}, so keep "
            f"every sentence between {lo} and {hi} words, end each with one of {' '.join(v.endings)} and use "
            f"at least {v.min_markers} of these words: {', '.join(v.markers)}. Include {', '.join(facts)}. {BOX}"
        )
        out.append(
            _item(
                f"voice.{n:02d}",
                prompt,
                _fenced(fit(text)),
                {"task": "voice", "voice": key, "facts": facts},
                ["voice", key],
            )
        )
    for n, (facts, max_lines, text) in enumerate(WRITE, start=1):
        prompt = (
            f"Create dialogue for a new NPC who gives the player a hint. It must mention: {', '.join(facts)}, "
            f"in at most {max_lines} box lines. {BOX}"
        )
        out.append(
            _item(
                f"write.{n:02d}",
                prompt,
                _fenced(fit(text)),
                {"task": "write", "facts": facts, "max_lines": max_lines},
                ["write"],
            )
        )
    for n, text in enumerate(FIT, start=1):
        prompt = f"Lay this text out as one ALTTP message, keeping every word. {BOX}\n\n{text}"
        out.append(_item(f"fit.{n:02d}", prompt, _fenced(fit(text)), {"task": "fit", "words": text}, ["fit"]))
    for n, broken in enumerate(FIX, start=1):
        prompt = (
            f"This message does not fit the box. Fix it and keep every word. {BOX}\n\n```text\n{broken}\n```"
        )
        out.append(
            _item(f"fix.{n:02d}", prompt, _fenced(fit(broken)), {"task": "fix", "broken": broken}, ["fix"])
        )
    for n, text in enumerate(CODED, start=1):
        data = encode(text)
        prompt = (
            "Encode this ALTTP (US) message as ROM bytes, characters only (no dictionary compression), "
            "with the $7F end byte. Answer with `db` lines in an ```asm block.\n\n"
            f"```text\n{text}\n```"
        )
        out.append(
            _item(f"encode.{n:02d}", prompt, _db(data), {"task": "encode", "message": text}, ["encode"])
        )
        prompt = (
            "Decode these ALTTP (US) message bytes into the bracket-token text (yaze's tokens: [2], [K], "
            f"[W:02], ...). Answer in a ```text block.\n\n{_db(data)}"
        )
        out.append(
            _item(
                f"decode.{n:02d}",
                prompt,
                _fenced(parse(text)),
                {"task": "decode", "bytes": data.hex()},
                ["decode"],
            )
        )
    for n, text in enumerate(
        ["Are you the one they sent? I thought so.", "Keep the ring in the box  until spring."], start=1
    ):
        entries = ", ".join(f"{i}: '{e}'" for i, e in enumerate(OURS.strings()))
        prompt = (
            "Encode this message with this dictionary (entry i is byte $88 + i), the game's greedy way: at "
            "each character take the first entry in table order that matches, else the character. "
            f"Dictionary: {entries}. Answer with `db` lines in an ```asm block.\n\n```text\n{text}\n```"
        )
        data = encode(text, OURS)
        out.append(
            _item(
                f"encode.dict.{n:02d}",
                prompt,
                _db(data),
                {"task": "encode", "message": text, "mode": "greedy", "dictionary": OURS.strings()},
                ["encode", "dictionary"],
            )
        )
    return out


def _check_fix_items() -> None:
    for broken in FIX:  # every fix item really overflows
        from triforce.text import check_text

        assert any(p.code == "overflow" for p in check_text(broken).problems), broken
    assert break_lines and pace  # the same wrapper the generator uses


_check_fix_items()
SUITES: dict[str, list[dict[str, Any]]] = {"dialogue": _items()}
