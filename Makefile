# nmrlib: set up, test and reproduce everything from a fresh clone.
#   make test                      unit tests + smoke run of every notebook + nbval regression
#                                  + the doctests of nmrlib
#   make reproduce [PROFILE=...]   execute every notebook under a profile, build the HTML report
#   make data                      fetch the real data sets (checked by sha256; see README)
# PROFILE is smoke | quick | paper; `make reproduce` picks paper with CUDA, quick without.
#   JOBS=N                         notebooks run N at a time (default: one per core; paper: one
#                                  per GPU, each run on its own GPU; CUDA_VISIBLE_DEVICES limits them)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILES := smoke quick paper

NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.py))
NAMES := $(notdir $(basename $(NOTEBOOKS)))
PKG := $(shell find nmrlib -type f \( -name '*.py' -o -name '*.json' -o -name '*.pt' \) | sort)
SIMULATOR := nmrlib/tocsy/corpus.py nmrlib/tocsy/store.py nmrlib/tocsy/residues.py \
             nmrlib/tocsy/exchangeable.py nmrlib/data/aminoacids_h2o.json $(wildcard nmrlib/tocsy/spin/*.py)
NBVAL := --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: all env data test smoke unit lint reproduce report golden lab clean distclean

ifneq ($(filter report,$(MAKECMDGOALS)),)
ifeq ($(PROFILE),)
$(error make report needs PROFILE=smoke|quick|paper (or use make reproduce))
endif
endif

all: test

# ---- environment -------------------------------------------------------------------------
env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --progress-bar off --upgrade pip
	$(PY) -m pip install --quiet --progress-bar off -r requirements.txt
	$(PY) -m pip install --quiet --progress-bar off --no-deps -e .
	touch $@

# ---- real data sets: fetched by name from their original repositories (nmrlib.core.realdata) ----
# Every file is checked against the registry's sha256. Cache: pooch's per-user cache, or
# NMRLIB_DATA_DIR. Offline mirror: NMRLIB_DATA_MIRROR=DIR (one sub-folder per set), used before
# any download; when it is unset and ../shared/realdata lies beside the clone (our machines
# and CI, which cannot reach the original hosts), that folder is the mirror.
ifeq ($(NMRLIB_DATA_MIRROR),)
ifneq ($(wildcard ../shared/realdata),)
export NMRLIB_DATA_MIRROR := $(abspath ../shared/realdata)
endif
endif

data: $(STAMP)
	$(PY) -m nmrlib data fetch --all

# ---- notebooks: build/<profile>/notebooks/<name>.ipynb -----------------------------------
define notebook_rule
build/$(1)/notebooks/%.ipynb: notebooks/%.py notebooks/profiles.yml $$(PKG) $$(STAMP)
	$$(PY) -m nmrlib notebook --profile $(1) $$<
endef
$(foreach p,$(PROFILES),$(eval $(call notebook_rule,$(p))))

# ---- Fig. 1 speech clip (CMU ARCTIC from the pysptk sdist on PyPI; espeak-ng offline) ----
SPEECH := data/speech/speech_8k.wav
$(SPEECH): | $(STAMP)
	$(PY) -m nmrlib speech --out $(dir $@)
build/quick/notebooks/02_audio_vs_nmr.ipynb build/paper/notebooks/02_audio_vs_nmr.ipynb: | $(SPEECH)

# ---- classifier training runs (Tables I and II): one papermill run of notebook 03 each ----
# build/<profile>/notebooks/03_train_classifier-<config>.ipynb, config = encoder-embedding[-pretrained_mode]
ifneq ($(filter report,$(MAKECMDGOALS)),)
CONFIGS := $(shell $(PY) -m nmrlib train --list)
endif
TRAIN := 03_train_classifier
NOTEBOOK_RUNS = $(filter-out $(TRAIN),$(NAMES)) $(CONFIGS:%=$(TRAIN)-%)
config_params = -p encoder=$(word 1,$(subst -, ,$(1))) -p embedding=$(word 2,$(subst -, ,$(1))) \
  -p pretrained=$(or $(subst pretrained_,,$(word 3,$(subst -, ,$(1)))),none)

# Table II's VoxCeleb weights are fetched and verified once (into the per-user cache, see
# `python -m nmrlib pretrained fetch -h`) before its configurations run side by side. No
# source at all (exit 1): its runs say "not run"; a file that is not the pinned one fails.
TABLE_II = $(filter %-pretrained_frozen %-pretrained_trainable,$(CONFIGS))
PRETRAINED := build/pretrained/.fetched
$(PRETRAINED): nmrlib/tocsy/pretrained.py | $(STAMP)
	@rc=0; $(PY) -m nmrlib pretrained fetch || rc=$$?; \
	if [ $$rc = 0 ]; then mkdir -p $(dir $@) && touch $@; \
	elif [ $$rc = 1 ]; then echo "note: Table II's runs will say 'not run' (no weights)"; \
	else exit $$rc; fi

# The TOCSY data set is simulated once, before the configurations that read it run side by side.
define train_rule
data/$(1)/tocsy/.made: $(SIMULATOR) nmrlib/data/aminoacids.json | $$(STAMP)
	$$(PY) -m nmrlib simulate --profile $(1) --out $$(dir $$@) --replace-stale
	touch $$@
build/$(1)/notebooks/$(TRAIN)-%.ipynb: notebooks/$(TRAIN).py notebooks/profiles.yml $$(PKG) $$(STAMP) | data/$(1)/tocsy/.made
	$$(PY) -m nmrlib notebook --profile $(1) --output $$@ --overwrite $$(call config_params,$$*) $$<
$$(TABLE_II:%=build/$(1)/notebooks/$(TRAIN)-%.ipynb): | $$(PRETRAINED)
build/$(1)/notebooks/04_classification_results.ipynb: $$(CONFIGS:%=build/$(1)/notebooks/$(TRAIN)-%.ipynb)
build/$(1)/notebooks/10_learning_curve.ipynb: | data/$(1)/tocsy/.made
endef
$(foreach p,$(PROFILES),$(eval $(call train_rule,$(p))))

# ---- tests ---------------------------------------------------------------------------------
test: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory data
	$(MAKE) --no-print-directory smoke
	$(PY) -m pytest tests $(NBVAL)
	$(PY) -m pytest --doctest-modules nmrlib -q

lint: $(STAMP)
	$(PY) -m ruff check nmrlib tests bench notebooks

unit: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/golden

smoke: $(NAMES:%=build/smoke/notebooks/%.ipynb)

golden: $(STAMP)
	$(PY) -m nmrlib golden

# ---- reproduce -----------------------------------------------------------------------------
# Independent notebooks run side by side, one per core with one thread each (2 threads per
# process on 2 cores oversubscribe); JOBS=1 runs them one after another with all threads.
CORES := $(shell nproc 2>/dev/null || echo 1)
reproduce: $(STAMP) data
	@if [ -n "$(PROFILE)" ]; then echo "profile $(PROFILE): given on the command line"; \
	  profile="$(PROFILE)"; else $(PY) -m nmrlib profile --why; \
	  profile=$$($(PY) -m nmrlib profile); fi; \
	gpus=$$([ "$$profile" = paper ] && $(PY) -m nmrlib gpus || echo 0); \
	jobs=$${JOBS:-$$([ "$$profile" = paper ] && echo $$(( gpus > 1 ? gpus : 1 )) || echo $(CORES))}; \
	threads=$$(( $(CORES) / jobs > 0 ? $(CORES) / jobs : 1 )); \
	slots=$$([ "$$gpus" -gt 1 ] && echo 1 || echo); \
	echo "running $$jobs notebook(s) at a time, $$threads thread(s) each$${slots:+, one GPU each (GPUs $$($(PY) -m nmrlib gpus --list))}"; \
	NMRLIB_GPU_SLOTS=$$slots NMRLIB_THREADS=$$threads $(MAKE) --no-print-directory -j$$jobs report PROFILE=$$profile

report: $(STAMP) $(NOTEBOOK_RUNS:%=build/$(PROFILE)/notebooks/%.ipynb)
	$(PY) -m nmrlib report --profile $(PROFILE)

# ---- interactive ---------------------------------------------------------------------------
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf build results figures

distclean: clean
	rm -rf data $(VENV)
