build-static/obj/splittop/hist.o: src/splittop/hist.c src/splittop/hist.h \
 bpf/splittop.h
src/splittop/hist.h:
bpf/splittop.h:
