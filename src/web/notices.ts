/** What a redirect back to a console page may report (`?done=`): fixed text, never text from the URL. */
export const KEYS_NOTICES: Record<string, string> = {
  'key-renamed': 'The key was renamed.',
  'key-disabled': 'The key is disabled: it answers 401 until you enable it.',
  'key-enabled': 'The key is enabled.',
  'key-deleted': 'The key was deleted.',
};

export const LIMITS_NOTICES: Record<string, string> = {
  'limits-saved': 'Your limits were saved.',
};

export const SETTINGS_NOTICES: Record<string, string> = {
  'password-changed': 'Your password was changed. Your other browsers were signed out.',
  'signed-out-others': 'Your other browsers were signed out.',
};
