/* One function per subcommand; each returns the process exit status. */
#ifndef ROMFS_COMMANDS_H
#define ROMFS_COMMANDS_H

int cmd_build(int argc, char **argv);
int cmd_pack_dir(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_verify(int argc, char **argv);

#endif
