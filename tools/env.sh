# Source me: puts the project's tools first on PATH (npm's binaryen wasm-opt before any system one).
_sori_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$_sori_root/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
unset _sori_root
