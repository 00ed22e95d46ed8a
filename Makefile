.PHONY: demo test lint

demo:
	scripts/demo.sh

test:
	scripts/test.sh

lint:
	swift format lint --strict -r Sources Tests Package.swift
