# The two commands of the README: `make demo` (main job) and `make test` (the test suite).
# Each sets up everything on a fresh Debian machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FMNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
# PyTorch's CPU build (for the torch-backend test pass; PyPI's Linux wheel is the CUDA build, several GB).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: demo test lint bench setup mutants
setup: $(VENV)/.installed

$(FMNIST):
	$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq dataset-fashion-mnist

$(VENV)/.installed: setup.cfg pyproject.toml | $(FMNIST)
	$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c "import ensurepip" 2>/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --no-deps "torch==2.13.0" --extra-index-url $(TORCH_INDEX)
	$(BIN)/pip install -q -e ".[test]"
	touch $@

demo: setup
	$(BIN)/keras-vit train

lint: setup
	$(BIN)/ruff check keras_vit tests examples tools
	$(BIN)/ruff format --check keras_vit tests examples tools
	$(BIN)/lint-imports

# Core tests run on all three backends; TensorFlow-only parts (tf.data, tf.distribute, SavedModel) on TensorFlow.
test: setup lint
	KERAS_BACKEND=tensorflow $(BIN)/pytest -n 2 -q
	KERAS_BACKEND=jax $(BIN)/pytest -n 2 -q -m "not tf_only"
	KERAS_BACKEND=torch $(BIN)/pytest -n 2 -q -m "not tf_only"

# Mutation testing (docs/TESTING.md): small bugs put into a copy of the tree one at a time, the tests that should
# catch each run on TensorFlow; prints the score, fails below 95 %. Not part of `make test`.
mutants: setup
	$(BIN)/python tools/mutants.py

bench: setup
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/keras-vit bench
