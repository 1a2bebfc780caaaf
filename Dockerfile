# CPU image for ntkjax. Build: docker build -t ntkjax .
# Run the demo: docker run --rm -v "$PWD:/work" ntkjax   (writes ./demo.png); any command: docker run --rm ntkjax kernel --help
# (GPU: install with the `cuda` extra on a CUDA base image instead.)
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 MPLBACKEND=Agg
WORKDIR /opt/ntkjax
COPY pyproject.toml README.md ./
COPY ntkjax ./ntkjax
RUN pip install .
WORKDIR /work
ENTRYPOINT ["ntkjax"]
CMD ["demo", "--out", "/work/demo.png"]
