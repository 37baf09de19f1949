#!/usr/bin/env python3
"""Regenerates Sources/ReformerEngine/Data/TaskPreset+Embedded.swift from assets/presets/<name>/{config,train}.json
for the presets named in TaskPreset.shippedNames, so the binary's built-in copies stay byte-identical to the
files (TaskTests checks it). Run after editing a shipped preset: python3 scripts/embed_presets.py"""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
preset_swift = (root / "Sources/ReformerEngine/Data/TaskPreset.swift").read_text()
names = re.findall(r'"([^"]+)"', re.search(r"shippedNames = \[([^\]]*)\]", preset_swift).group(1))

out = [
    "// TaskPreset+Embedded: verbatim copies of assets/presets/{" + ",".join(names) + "}/{config,train}.json, so an installed",
    "// binary finds its presets with no assets folder. TaskTests checks them byte for byte against the files;",
    "// after editing a file in assets/, regenerate this one with `python3 scripts/embed_presets.py`.",
    "",
    "enum EmbeddedPresets {",
    "    struct Files: Sendable {",
    "        let config: String",
    "        let training: String",
    "    }",
    "",
    "    static let files: [String: Files] = [",
]
for name in names:
    folder = root / "assets/presets" / name
    config = (folder / "config.json").read_text()
    training = (folder / "train.json").read_text()
    for label, text in (("config.json", config), ("train.json", training)):
        if '"""#' in text:
            raise SystemExit(f"{folder}/{label} contains the Swift raw-string delimiter")
    out += [f'        "{name}": Files(', '            config: #"""', config + '\n"""#,', '            training: #"""', training + '\n"""#', "        ),"]
out += ["    ]", "}", ""]
(root / "Sources/ReformerEngine/Data/TaskPreset+Embedded.swift").write_text("\n".join(out))
print("wrote TaskPreset+Embedded.swift:", ", ".join(names))
