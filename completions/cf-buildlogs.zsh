#compdef cf-buildlogs

_cf_buildlogs_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _CF_BUILDLOGS_COMPLETE=complete_zsh cf-buildlogs)
}

if [ "$funcstack[1]" = "_cf-buildlogs" ]; then
  # autoloaded from $fpath as _cf-buildlogs: this file is the completion function; complete now
  _cf_buildlogs_completion "$@"
else
  # sourced: register the function
  compdef _cf_buildlogs_completion cf-buildlogs
fi
