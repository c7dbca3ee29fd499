"""Import names <-> distribution names, for matching imports against declared dependencies.

``import sklearn`` is satisfied by declaring ``scikit-learn``; ``import cv2`` by
any of several OpenCV wheels (or conda's ``opencv``). Values are PEP 503
normalized names, most common first; alternatives are listed because any one of
them declared means the import is covered. Conda package names are included
where they differ from PyPI (``pytorch``, ``py-xgboost``), since conda
environments are manifests too. Pure data, no I/O.
"""
from __future__ import annotations

import re

__all__ = ["IMPORT_TO_DISTS", "dists_for_import", "imports_for_dist"]

IMPORT_TO_DISTS: dict[str, tuple[str, ...]] = {
    # Core ML frameworks
    "sklearn": ("scikit-learn",),
    "skimage": ("scikit-image",),
    "skopt": ("scikit-optimize",),
    "imblearn": ("imbalanced-learn",),
    "torch": ("torch", "pytorch"),
    "lightning": ("lightning",),
    "pytorch_lightning": ("pytorch-lightning",),
    "lightning_fabric": ("lightning-fabric",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly",
                   "tensorflow-macos", "intel-tensorflow"),
    "tf_keras": ("tf-keras",),
    "keras": ("keras", "tensorflow"),
    "tensorflow_datasets": ("tensorflow-datasets", "tfds-nightly"),
    "tensorflow_hub": ("tensorflow-hub",),
    "tensorflow_data_validation": ("tensorflow-data-validation",),
    "tensorflow_transform": ("tensorflow-transform",),
    "tensorflow_model_analysis": ("tensorflow-model-analysis",),
    "tensorboardX": ("tensorboardx",),
    "xgboost": ("xgboost", "xgboost-cpu", "py-xgboost"),
    "lightgbm": ("lightgbm",),
    "catboost": ("catboost",),
    "jax": ("jax",),
    "flax": ("flax",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu", "onnxruntime-directml"),
    "faiss": ("faiss-cpu", "faiss-gpu", "faiss"),
    "cupy": ("cupy", "cupy-cuda12x", "cupy-cuda11x"),
    "umap": ("umap-learn",),
    "prophet": ("prophet",),
    "fbprophet": ("fbprophet",),
    "category_encoders": ("category-encoders",),
    "open_clip": ("open-clip-torch",),
    "whisper": ("openai-whisper",),
    "detectron2": ("detectron2",),
    "mmcv": ("mmcv", "mmcv-full"),
    "darts": ("darts", "u8darts"),
    "pyspark": ("pyspark",),
    # Hugging Face, NLP and LLM tooling
    "sentence_transformers": ("sentence-transformers",),
    "huggingface_hub": ("huggingface-hub",),
    "llama_index": ("llama-index", "llama-index-core"),
    "langchain": ("langchain",),
    "langchain_core": ("langchain-core",),
    "langchain_community": ("langchain-community",),
    "langchain_openai": ("langchain-openai",),
    "langchain_anthropic": ("langchain-anthropic",),
    "langchain_text_splitters": ("langchain-text-splitters",),
    "google.generativeai": ("google-generativeai",),
    "google.genai": ("google-genai",),
    "vertexai": ("google-cloud-aiplatform",),
    "haystack": ("haystack-ai", "farm-haystack"),
    "guardrails": ("guardrails-ai",),
    "dspy": ("dspy", "dspy-ai"),
    "phoenix": ("arize-phoenix",),
    "lm_eval": ("lm-eval",),
    "semantic_kernel": ("semantic-kernel",),
    "composer": ("mosaicml",),
    "pinecone": ("pinecone", "pinecone-client"),
    "qdrant_client": ("qdrant-client",),
    "weaviate": ("weaviate-client",),
    "chromadb": ("chromadb",),
    "sentencepiece": ("sentencepiece",),
    "spacy": ("spacy",),
    # Tracking, registries, pipelines, data quality, monitoring
    "mlflow": ("mlflow", "mlflow-skinny"),
    "comet_ml": ("comet-ml",),
    "neptune": ("neptune", "neptune-client"),
    "keras_tuner": ("keras-tuner",),
    "kerastuner": ("keras-tuner",),
    "ax": ("ax-platform",),
    "great_expectations": ("great-expectations",),
    "pandas_profiling": ("pandas-profiling",),
    "ydata_profiling": ("ydata-profiling",),
    "alibi_detect": ("alibi-detect",),
    "tfx": ("tfx",),
    "kfp": ("kfp",),
    "airflow": ("apache-airflow",),
    "flytekit": ("flytekit",),
    "hydra": ("hydra-core",),
    "ml_collections": ("ml-collections",),
    "gin": ("gin-config",),
    "pydantic_settings": ("pydantic-settings",),
    "prometheus_client": ("prometheus-client",),
    "opentelemetry": ("opentelemetry-api", "opentelemetry-sdk"),
    "azureml": ("azureml-core", "azureml-sdk"),
    "azure.ai.ml": ("azure-ai-ml",),
    "google.cloud.aiplatform": ("google-cloud-aiplatform",),
    "google.cloud.storage": ("google-cloud-storage",),
    "google.cloud.bigquery": ("google-cloud-bigquery",),
    "googleapiclient": ("google-api-python-client",),
    "google.protobuf": ("protobuf",),
    "google.auth": ("google-auth",),
    "snowflake.connector": ("snowflake-connector-python",),
    "snowflake.snowpark": ("snowflake-snowpark-python",),
    "databricks.sdk": ("databricks-sdk",),
    "grpc": ("grpcio",),
    "tritonclient": ("tritonclient",),
    # General-purpose libraries whose import name differs from the distribution
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
            "opencv-contrib-python-headless", "opencv"),
    "PIL": ("pillow", "pillow-simd"),
    "yaml": ("pyyaml",),
    "ruamel": ("ruamel-yaml",),
    "bs4": ("beautifulsoup4",),
    "dotenv": ("python-dotenv",),
    "dateutil": ("python-dateutil",),
    "jwt": ("pyjwt",),
    "jose": ("python-jose",),
    "multipart": ("python-multipart",),
    "magic": ("python-magic",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "fitz": ("pymupdf",),
    "Crypto": ("pycryptodome",),
    "OpenSSL": ("pyopenssl",),
    "git": ("gitpython",),
    "github": ("pygithub",),
    "attrs": ("attrs",),
    "attr": ("attrs",),
    "serial": ("pyserial",),
    "zmq": ("pyzmq",),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "MySQLdb": ("mysqlclient",),
    "kafka": ("kafka-python",),
    "confluent_kafka": ("confluent-kafka",),
    "absl": ("absl-py",),
    "Bio": ("biopython",),
    "matplotlib": ("matplotlib",),
    "mpl_toolkits": ("matplotlib",),
    "setuptools": ("setuptools",),
    "pkg_resources": ("setuptools",),
    "Levenshtein": ("levenshtein", "python-levenshtein"),
    "igraph": ("igraph", "python-igraph"),
    "win32api": ("pywin32",),
}

_NAMESPACE_ROOTS = ("google", "azure")


def _normalize(name: str) -> str:
    """PEP 503 normalization (``_``, ``.`` and ``-`` runs become ``-``, lower case)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _build_reverse() -> dict[str, tuple[str, ...]]:
    reverse: dict[str, list[str]] = {}
    for module, dists in IMPORT_TO_DISTS.items():
        for dist in dists:
            reverse.setdefault(dist, []).append(module)
    return {dist: tuple(modules) for dist, modules in reverse.items()}


_DIST_TO_IMPORTS = _build_reverse()


def dists_for_import(module: str) -> tuple[str, ...]:
    """Distributions that may provide ``module`` (dotted names allowed), most likely first.

    The longest mapped dotted prefix wins, so ``google.cloud.storage.blob``
    finds ``google-cloud-storage``. Unmapped namespace packages (``google.*``,
    ``azure.*``) guess ``google-cloud-x`` style names from their prefixes;
    anything else defaults to the normalized top-level name.
    """
    parts = module.strip(".").split(".")
    for end in range(len(parts), 0, -1):
        found = IMPORT_TO_DISTS.get(".".join(parts[:end]))
        if found:
            return found
    if parts[0] in _NAMESPACE_ROOTS and len(parts) > 1:
        return tuple(_normalize("-".join(parts[:end])) for end in range(min(len(parts), 3), 1, -1))
    return (_normalize(parts[0]),)


def imports_for_dist(dist: str) -> tuple[str, ...]:
    """Import names a distribution provides; defaults to the name with ``-`` -> ``_``."""
    name = _normalize(dist)
    if name in _DIST_TO_IMPORTS:
        return _DIST_TO_IMPORTS[name]
    if name.startswith(("google-cloud-", "azure-")):
        return (name.replace("-", "."),)
    return (name.replace("-", "_"),)
