"""Embedded defaults: a demo PKI with its responders, demo keys and images, made on first start."""
