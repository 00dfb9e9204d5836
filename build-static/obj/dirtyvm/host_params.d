build-static/obj/dirtyvm/host_params.o: src/dirtyvm/host_params.c \
 src/dirtyvm/host_params.h
src/dirtyvm/host_params.h:
