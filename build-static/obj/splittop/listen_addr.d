build-static/obj/splittop/listen_addr.o: src/splittop/listen_addr.c \
 src/splittop/listen_addr.h src/common/parse.h
src/splittop/listen_addr.h:
src/common/parse.h:
