build-static/obj/splittop/bpf_log.o: src/splittop/bpf_log.c \
 src/splittop/bpf_log.h
src/splittop/bpf_log.h:
