build-static/obj/splittop/command.o: src/splittop/command.c \
 src/splittop/command.h
src/splittop/command.h:
