"""Refresh the JavaScript the built book serves from its own ``_static/vendor/`` (no CDN at read time).

The rendered pages need three pieces of JavaScript that Sphinx and MyST-NB would otherwise load from CDNs:

* MathJax 3 (npm ``mathjax``): ``tex-chtml-full.js`` (every TeX package built in, so nothing is loaded
  on demand) and the CHTML web fonts it loads from ``output/chtml/fonts/woff-v2/``;
* RequireJS (npm ``requirejs``): the AMD loader the widget manager needs;
* the Jupyter widget manager for static pages (npm ``@jupyter-widgets/html-manager``): ``embed-amd.js``,
  which renders the widget state saved in each notebook, and the Font Awesome files its CSS points at.

They are copied, unchanged, from the npm packages pinned in ``PACKAGES`` together with their licences, and
their SHA-256 sums are recorded in ``_static/vendor/VERSIONS.json`` (tests/test_web_assets.py checks the
files against it, and the book's configuration against the paths). Nobody needs npm to build or read the
book; only to bump a version here::

    python tools/vendor_web.py          # needs `npm` (it runs `npm pack`, which fetches from the npm registry)

The version of html-manager must match the widget protocol of the pinned ipywidgets (8.x -> 1.0.x).
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import subprocess
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_static" / "vendor"

# name -> (npm spec, SPDX licence, {source path in the package: target path under _static/vendor})
PACKAGES = {
    "mathjax": (
        "mathjax@3.2.2",
        "Apache-2.0",
        {
            "LICENSE": "mathjax/LICENSE",
            "es5/tex-chtml-full.js": "mathjax/tex-chtml-full.js",
            "es5/output/chtml/fonts/woff-v2/*.woff": "mathjax/output/chtml/fonts/woff-v2/",
        },
    ),
    "requirejs": (
        "requirejs@2.3.8",
        "MIT",
        {"require.js": "requirejs/require.js"},
    ),
    "html-manager": (
        "@jupyter-widgets/html-manager@1.0.15",
        "BSD-3-Clause",
        {
            "dist/embed-amd.js": "html-manager/embed-amd.js",
            "dist/*.woff2": "html-manager/",
            "dist/embed.js.LICENSE.txt": "html-manager/THIRD-PARTY-NOTICES.txt",
        },
    ),
}

# Two packages ship no licence file, only an SPDX id in package.json (requirejs also names its licence in the
# header of require.js): the standard texts with the copyright lines of their projects are written beside them.
MIT_REQUIREJS = """\
Copyright jQuery Foundation and other contributors, https://jquery.org/

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and
to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions
of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
IN THE SOFTWARE.
"""

BSD3_JUPYTER = """\
Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are permitted provided that
the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
   following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
   following disclaimer in the documentation and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its contributors may be used to endorse or promote
   products derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED
WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A
PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY
DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO,
PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR
OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

WRITTEN_LICENCES = {"requirejs/LICENSE": MIT_REQUIREJS, "html-manager/LICENSE": BSD3_JUPYTER}


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(spec: str, workdir: pathlib.Path) -> pathlib.Path:
    """`npm pack` the package and unpack it; returns the folder holding its files."""
    out = subprocess.run(["npm", "pack", spec, "--silent"], cwd=workdir, check=True, capture_output=True, text=True)
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    target = workdir / tarball.stem
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def main() -> None:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)
    record: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (spec, licence, files) in PACKAGES.items():
            package = fetch(spec, pathlib.Path(tmp))
            for source, target in files.items():
                matches = sorted(package.glob(source))
                if not matches:
                    raise SystemExit(f"{spec}: no file {source}")
                for path in matches:
                    dest = VENDOR / target / path.name if target.endswith("/") else VENDOR / target
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, dest)
            record[name] = {"npm": spec, "license": licence}
    for target, text in WRITTEN_LICENCES.items():
        (VENDOR / target).write_text(text, encoding="utf-8")
    files = {str(p.relative_to(VENDOR)): sha256(p) for p in sorted(VENDOR.rglob("*")) if p.is_file()}
    record = {"packages": record, "sha256": files}
    (VENDOR / "VERSIONS.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    size = sum((VENDOR / f).stat().st_size for f in files)
    print(f"vendored {len(files)} files, {size / 1e6:.1f} MB, into {VENDOR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
