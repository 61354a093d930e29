"""Build-time code: model conversion, export, quantisation, training and their command line.

Runtime modules (``embed``, ``themes``, ``sentiment`` ...) never import this package: it needs
PyTorch, ``transformers`` and ``onnx``, which serving a built model does not.
"""
