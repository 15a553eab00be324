"""`hf://ORG/NAME[@REVISION]`: a model repository of the Hugging Face Hub, and the directory it downloads to.

The files go through `huggingface_hub` (`hf_hub_download`) into its own cache (`HF_HUB_CACHE`, by default
`~/.cache/huggingface/hub`), the one transformers and timm share: a model downloaded by either is not fetched again.
`HF_HUB_OFFLINE=1` reads the cache without a request, `HF_ENDPOINT` names a mirror, `HF_TOKEN` a token for private
repositories; keras_vit reads the first three when it downloads (not only when `huggingface_hub` is imported).

A downloaded repository, like a `save_pretrained` directory, is a folder holding `config.json` and one weights file
of `WEIGHTS_FILES`; `weights_file` picks it.
"""

import os

PREFIX = "hf://"
CONFIG = "config.json"
PREPROCESSOR = (
    "preprocessor_config.json"  # the pixel statistics (`image_mean`, `image_std`), where a repository has one
)
# The weights file names of the Hub, preferred first (transformers' and timm's `save_pretrained`).
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
_TRUE = ("1", "on", "yes", "true")


def is_hub_name(weights):
    return isinstance(weights, str) and weights.startswith(PREFIX)


def parse(name):
    """`(repo_id, revision)` of `hf://ORG/NAME[@REVISION]` (revision None: the default branch)."""
    repo_id, _, revision = name.removeprefix(PREFIX).partition("@")
    parts = repo_id.split("/")
    if not 1 <= len(parts) <= 2 or not all(parts) or (revision == "" and "@" in name):
        raise ValueError(
            "Hugging Face Hub weights are named hf://ORG/NAME, optionally @REVISION (a branch, tag or commit), e.g. "
            f"weights='hf://google/vit-base-patch16-224'. Received: weights={name!r}"
        )
    return repo_id, revision or None


def _by_hand(name, repo_id, revision, filename):
    pinned = f" --revision {revision}" if revision else ""
    return (
        f"Where this machine cannot reach the Hub, download the files elsewhere (`hf download {repo_id} {CONFIG} "
        f"{filename}{pinned} --local-dir DIR`) and pass the directory: weights='DIR'. Received: weights={name!r}"
    )


def _huggingface_hub(name):
    try:
        import huggingface_hub
        import huggingface_hub.errors
    except ImportError as error:
        raise ImportError(
            "weights='hf://...' downloads through huggingface_hub: `pip install keras-vit[hub]` (or "
            f"huggingface_hub), or download the files and pass their directory. Received: weights={name!r}"
        ) from error
    return huggingface_hub


def _fetch(repo_id, filename, revision):
    from huggingface_hub import hf_hub_download

    return hf_hub_download(
        repo_id,
        filename,
        revision=revision,
        cache_dir=os.environ.get("HF_HUB_CACHE") or None,
        endpoint=os.environ.get("HF_ENDPOINT") or None,
        local_files_only=_offline(),
        library_name="keras_vit",
    )


def _offline():
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in _TRUE


def download(name):
    """Downloads (or finds in the cache) `config.json`, `preprocessor_config.json` where there is one, and the
    weights of `hf://...`; returns their directory."""
    repo_id, revision = parse(name)
    errors = _huggingface_hub(name).errors
    offline = _offline()
    # Online, the next weights name is tried where the Hub says the file does not exist; offline, where the cache
    # does not hold it.
    absent = errors.EntryNotFoundError if offline else errors.RemoteEntryNotFoundError
    filename = CONFIG
    try:
        _fetch(repo_id, CONFIG, revision)
        try:
            _fetch(repo_id, PREPROCESSOR, revision)
        except absent:
            pass  # then the image processor's defaults (`transformers_format.pixels_of`)
        for filename in WEIGHTS_FILES:
            try:
                return os.path.dirname(_fetch(repo_id, filename, revision))
            except absent:
                continue
    except OSError as error:  # huggingface_hub's HTTP and cache errors are OSErrors
        where = "in the cache (HF_HUB_OFFLINE is set)" if offline else "from the Hub"
        raise OSError(
            f"Could not get {filename} of {repo_id}{'@' + revision if revision else ''} {where}: "
            f"{str(error).strip().splitlines()[0]} {_by_hand(name, repo_id, revision, filename)}"
        ) from error
    where = "in the cache (HF_HUB_OFFLINE is set)" if offline else "in the repository"
    raise FileNotFoundError(
        f"{repo_id} has config.json but no weights file ({', '.join(WEIGHTS_FILES)}) {where}; keras_vit reads "
        f"single-file checkpoints. {_by_hand(name, repo_id, revision, WEIGHTS_FILES[0])}"
    )


def weights_file(directory):
    """The weights file of a model directory (`save_pretrained`'s, or a downloaded Hub repository)."""
    for filename in WEIGHTS_FILES:
        path = os.path.join(directory, filename)
        if os.path.isfile(path):
            return path
    sharded = [f for f in os.listdir(directory) if f.endswith(".index.json")]
    raise FileNotFoundError(
        f"A model directory holds one weights file, {' or '.join(WEIGHTS_FILES)}, beside {CONFIG}; "
        f"{directory} has {'sharded weights, which keras_vit does not read' if sharded else 'none'}. "
        f"Received: weights={os.fspath(directory)!r}"
    )
